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
const target = params.get("session") ? { session: params.get("session") } : { user: params.get("user") || "" };
let clearCaptions = null;
let captionTurn = null;

const connection = new Connection({
  hello: () => ({ role: "viewer", ...target, matte: transparent,
                  ...(params.get("token") ? { token: params.get("token") } : {}) }),
  onMessage: (m) => {
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
});
connection.start();
window.ohlora = { connection, player };
