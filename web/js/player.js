// Draws frames on a canvas at their presentation time through a small jitter buffer. Frames are decoded
// off the main thread by createImageBitmap; a matte plane (or, without one, a soft oval) cuts the face
// out for transparent backgrounds.
export class FramePlayer {
  constructor(canvas, { delayMs = 80, background = null, cutout = false, onDraw = null, staleMs = 1000 } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { alpha: true });
    this.delayMs = delayMs;         // jitter buffer: frames are shown this long after their best-case arrival
    this.background = background;   // null = transparent, or a CSS colour (chroma key)
    this.cutout = cutout;           // cut the face out (matte, or an oval without one)
    this.onDraw = onDraw;
    this.staleMs = staleMs;         // a frame this much later than the fastest one seen is skipped undecoded
    this.reset();                   // queue, offset (local time - pts of the fastest frame seen), lastSeq, …
    this.drawn = 0;
    this.late = 0;
    this.drawTimes = [];
    this.captions = "";
    this.running = true;
    requestAnimationFrame(() => this.tick());
  }

  reset() { this.queue = []; this.offset = null; this.lastSeq = -1; this.lastArrival = null; this.skippedAfterPause = false; }

  async push({ header, image, matte }) {
    if (header.seq < this.lastSeq - 5) this.reset();   // a new session clock (resize, reconnect)
    const arrived = performance.now();
    const transit = arrived - header.ptsMs;
    const gap = this.lastArrival === null ? 0 : arrived - this.lastArrival;
    this.lastArrival = arrived;
    if (this.offset !== null && transit - this.offset > this.staleMs) {
      // A tab that was in the background (or a stalled network) receives the old frames the kernel held: the
      // first after the pause, then the rest back to back. Skip them undecoded, so the newest face shows at
      // once. A late frame that arrives at an ordinary pace means the stream itself runs late: follow it.
      const backlog = gap < 5 || (gap > 1000 && !this.skippedAfterPause);
      if (backlog) { this.skippedAfterPause = gap > 1000; this.late += 1; this.lastSeq = header.seq; return; }
      this.offset = transit;
    }
    this.skippedAfterPause = false;
    this.offset = this.offset === null ? transit : Math.min(this.offset + 0.02, transit);  // drifts up slowly
    try {
      const bitmap = await createImageBitmap(image);
      const matteBitmap = matte ? await createImageBitmap(matte) : null;
      this.queue.push({ header, bitmap, matteBitmap });
      this.queue.sort((a, b) => a.header.seq - b.header.seq);
      while (this.queue.length > 8) { const old = this.queue.shift(); old.bitmap.close(); this.late += 1; }
    } catch (e) { console.warn("frame decode failed", e); }
  }

  fps() {
    const now = performance.now();
    this.drawTimes = this.drawTimes.filter((t) => now - t < 2000);
    return this.drawTimes.length / 2;
  }

  bufferDepth() { return this.queue.length; }

  tick() {
    if (!this.running) return;
    const now = performance.now();
    let due = null;
    while (this.queue.length && this.offset !== null && this.queue[0].header.ptsMs + this.offset + this.delayMs <= now) {
      if (due) { due.bitmap.close(); this.late += 1; }
      due = this.queue.shift();
    }
    if (due) {
      this.draw(due);
      this.lastSeq = due.header.seq;
      this.drawn += 1;
      this.drawTimes.push(now);
      due.bitmap.close();
      if (this.onDraw) this.onDraw(due.header);
    }
    requestAnimationFrame(() => this.tick());
  }

  draw({ header, bitmap, matteBitmap }) {
    const { canvas, ctx } = this;
    if (canvas.width !== header.width || canvas.height !== header.height) {
      canvas.width = header.width; canvas.height = header.height;
    }
    const w = canvas.width, h = canvas.height;
    ctx.save();
    ctx.globalCompositeOperation = "source-over";
    ctx.clearRect(0, 0, w, h);
    ctx.drawImage(bitmap, 0, 0, w, h);
    if (this.cutout) {
      ctx.globalCompositeOperation = "destination-in";
      if (matteBitmap) {
        ctx.drawImage(lumaToAlpha(matteBitmap, w, h), 0, 0, w, h);
      } else {
        const g = ctx.createRadialGradient(w / 2, h * 0.48, w * 0.30, w / 2, h * 0.48, w * 0.47);
        g.addColorStop(0, "rgba(0,0,0,1)");
        g.addColorStop(1, "rgba(0,0,0,0)");
        ctx.fillStyle = g;
        ctx.fillRect(0, 0, w, h);
      }
      if (this.background) {
        ctx.globalCompositeOperation = "destination-over";
        ctx.fillStyle = this.background;
        ctx.fillRect(0, 0, w, h);
      }
    }
    ctx.restore();
    if (matteBitmap) matteBitmap.close();
    if (this.captions) drawCaptions(ctx, this.captions, w, h);
  }
}

let matteCanvas = null;
function lumaToAlpha(bitmap, w, h) {
  matteCanvas = matteCanvas || new OffscreenCanvas(w, h);
  if (matteCanvas.width !== w) { matteCanvas.width = w; matteCanvas.height = h; }
  const c = matteCanvas.getContext("2d", { willReadFrequently: true });
  c.drawImage(bitmap, 0, 0, w, h);
  const data = c.getImageData(0, 0, w, h);
  for (let i = 0; i < data.data.length; i += 4) { data.data[i + 3] = data.data[i]; }
  c.putImageData(data, 0, 0);
  return matteCanvas;
}

function drawCaptions(ctx, text, w, h) {
  const size = Math.max(12, Math.round(h / 18));
  ctx.save();
  ctx.font = `600 ${size}px system-ui, "Noto Sans KR", sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.lineWidth = Math.max(3, size / 5);
  ctx.strokeStyle = "rgba(0,0,0,0.85)";
  ctx.fillStyle = "#fff";
  const line = text.length > 60 ? "…" + text.slice(-59) : text;
  ctx.strokeText(line, w / 2, h - size * 0.6, w * 0.94);
  ctx.fillText(line, w / 2, h - size * 0.6, w * 0.94);
  ctx.restore();
}
