// The OBS page: a viewer of a live session. Only the face; transparent or chroma-key background;
// captions on request; reconnects forever without a click.
import { Connection } from "./connection.js";
import { FramePlayer } from "./player.js";

const params = new URLSearchParams(location.search);
const size = Math.max(64, Math.min(2048, Number(params.get("size")) || 512));
const bg = params.get("bg") || "transparent";
const captions = params.get("captions") === "1";
const canvas = document.getElementById("face");
canvas.style.width = canvas.style.height = `${size}px`;
const transparent = bg === "transparent";
document.body.style.background = transparent ? "transparent" : bg;

const player = new FramePlayer(canvas, { cutout: true, background: transparent ? null : bg, delayMs: 100 });
// The owner's read-only viewer key (the live page shows the link); names and session ids are not enough.
const target = { viewer_key: params.get("viewer") || "" };
let clearCaptions = null;
let captionTurn = null;

const connection = new Connection({
  hello: () => ({ role: "viewer", ...target, matte: true,
                  ...(params.get("token") ? { token: params.get("token") } : {}) }),
  onMessage: (m) => {
    if (m.type === "hello") window.ohlora.accepted = m.accepted;  // e.g. whether a matte comes with frames
    if (m.type === "error" && m.fatal) document.body.dataset.error = m.code;  // e.g. revoked: a new link is needed
    if (!captions) return;
    if (m.type === "chat.delta") {
      clearTimeout(clearCaptions);
      if (m.turn !== captionTurn) { captionTurn = m.turn; player.captions = ""; }
      player.captions += m.text;
    }
    if (m.type === "chat.done") {
      player.captions = m.text;
      clearCaptions = setTimeout(() => { player.captions = ""; }, 4000);
    }
  },
  onFrame: (frame) => player.push(frame),
  onStatus: (state) => { document.body.dataset.state = state; },
  maxBackoffMs: 5000,
  retryForever: true,
  affinity: params.get("affinity"),  // the owner's: a load balancer sends this viewer to the owner's instance
});
connection.start();
window.ohlora = { connection, player };
