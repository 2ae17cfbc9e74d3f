// One websocket to the server that says hello, resumes its session after a drop, and reconnects with
// backoff (forever, for OBS). Text messages go to onMessage, frames to onFrame.
import { PROTOCOL_VERSION, parseFrame, socketUrl } from "./protocol.js";

export class Connection {
  constructor({ hello, onMessage, onFrame, onStatus, maxBackoffMs = 8000, retryForever = true, affinity = null }) {
    this.hello = hello;              // () => hello fields (role, credential or viewer_key, size, fps, quality, …)
    this.affinity = affinity;        // the load balancer's affinity key (?affinity=), or null
    this.onMessage = onMessage;
    this.onFrame = onFrame;
    this.onStatus = onStatus || (() => {});
    this.maxBackoffMs = maxBackoffMs;
    this.retryForever = retryForever;
    this.attempt = 0;
    this.session = null;
    this.stopped = false;
    this.ws = null;
    this.timer = null;
  }

  start() { this.stopped = false; this.open(); }

  stop() { this.stopped = true; clearTimeout(this.timer); if (this.ws) this.ws.close(); }

  /** Close and reconnect at once (e.g. after the settings changed). */
  restart() { this.attempt = 0; if (this.ws) this.ws.close(); else this.open(); }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(message)); return true; }
    return false;
  }

  open() {
    clearTimeout(this.timer);
    this.onStatus(this.attempt ? "reconnecting" : "connecting");
    const ws = new WebSocket(socketUrl("/ws", this.affinity));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    let fatal = null;
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", version: PROTOCOL_VERSION, ...this.hello() }));
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") {
        try { this.onFrame(parseFrame(event.data)); } catch (e) { console.warn(e); }
        return;
      }
      const message = JSON.parse(event.data);
      if (message.type === "hello") { this.session = message.session; this.attempt = 0; this.onStatus("live"); }
      if (message.type === "error" && message.fatal) fatal = message;
      this.onMessage(message);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) { this.onStatus("closed"); return; }
      if (fatal && !this.retryForever && ["bad_version", "unauthorized", "blocked"].includes(fatal.code)) {
        this.onStatus("stopped"); return;
      }
      const delay = Math.min(this.maxBackoffMs, 250 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
      this.attempt += 1;
      this.onStatus("reconnecting", Math.round(delay));
      this.timer = setTimeout(() => this.open(), delay);
    };
  }
}
