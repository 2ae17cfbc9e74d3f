// Protocol v2 as the pages speak it (docs/protocol.md): frame header parsing and message helpers.
export const PROTOCOL_VERSION = 2;
export const FLAG_KEYFRAME = 1, FLAG_INTERPOLATED = 2, FLAG_MATTE = 4;

/** Split a binary frame message into its header, image blob and optional matte blob. */
export function parseFrame(buffer) {
  const view = new DataView(buffer);
  const magic = String.fromCharCode(view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3));
  if (magic !== "OHLF") throw new Error(`bad frame magic ${magic}`);
  const headerLength = view.getUint8(5);
  const header = {
    version: view.getUint8(4), codec: view.getUint8(6), flags: view.getUint8(7),
    seq: view.getUint32(8, true), ptsMs: view.getUint32(12, true),
    width: view.getUint16(16, true), height: view.getUint16(18, true), matteLength: view.getUint32(20, true),
  };
  const imageEnd = buffer.byteLength - header.matteLength;
  const image = new Blob([new Uint8Array(buffer, headerLength, imageEnd - headerLength)], { type: "image/jpeg" });
  const matte = header.matteLength
    ? new Blob([new Uint8Array(buffer, imageEnd, header.matteLength)], { type: "image/jpeg" }) : null;
  return { header, image, matte };
}

/** The websocket URL of this server, from the page's own location. `affinity` (docs/deploy.md) lets a load
 *  balancer send every socket of one user, and the user's viewers, to the same server instance. */
export function socketUrl(path = "/ws", affinity = null) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = affinity ? `?affinity=${encodeURIComponent(affinity)}` : "";
  return `${scheme}//${location.host}${path}${query}`;
}
