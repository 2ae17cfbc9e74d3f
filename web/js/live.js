// The live page: Oh-LoRA's face on a canvas, the chat, settings, and the debug panel.
import { Connection } from "./connection.js";
import { FramePlayer } from "./player.js";
import { applyLanguage, initialLanguage } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let lang = initialLanguage();
let t = applyLanguage(lang);

// Who she is talking to is the server's credential, kept here and sent back on every hello (protocol 2).
let credential = localStorage.getItem("ohlora.credential");
const settings = JSON.parse(localStorage.getItem("ohlora.settings") || '{"size":256,"fps":30,"quality":85}');
const token = new URLSearchParams(location.search).get("token");
// Behind a load balancer every socket of this browser's user, and the viewers of its OBS link, go to one server
// instance: the balancer hashes this key (docs/deploy.md). Made once, before the first hello, so that even the
// first session lands where its viewers will.
let affinity = localStorage.getItem("ohlora.affinity");
if (!affinity) {
  affinity = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
  localStorage.setItem("ohlora.affinity", affinity);
}

const player = new FramePlayer($("face"));
let status = "connecting";
let currentTurn = null;   // {turn, element}
let talking = false;

function setStatus(state) {
  status = state;
  $("status").dataset.state = state;
  $("status-text").textContent = t(`status_${state}`);
}

function notice(text, kind = "error") {
  const el = $("notice");
  if (!text) { el.hidden = true; return; }
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = false;
}

function addBubble(role, text) {
  const li = document.createElement("li");
  li.className = `msg ${role}`;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = role === "user" ? t("you") : t("her");
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  li.append(who, body);
  $("log").append(li);
  $("log").scrollTop = $("log").scrollHeight;
  return li;
}

function setTalking(on) {
  talking = on;
  $("stop").disabled = !on;
}

function localTime(iso) {
  try { return new Date(iso).toLocaleString(lang === "ko" ? "ko-KR" : undefined, { dateStyle: "medium", timeStyle: "short" }); }
  catch { return iso; }
}

function onMessage(m) {
  switch (m.type) {
    case "hello":
      notice(null);
      credential = m.credential;
      localStorage.setItem("ohlora.credential", credential);
      $("session-id").textContent = m.session;
      showViewerLink(m.viewer_key);
      $("log").replaceChildren();
      for (const item of m.transcript) addBubble(item.role, item.text);
      currentTurn = null;
      setTalking(false);
      break;
    case "chat.delta": {
      if (!currentTurn || currentTurn.turn !== m.turn) {
        currentTurn = { turn: m.turn, element: addBubble("assistant", "") };
        currentTurn.element.dataset.turn = m.turn;
      }
      const body = currentTurn.element.querySelector(".text");
      body.textContent += m.text;
      setTalking(true);
      $("log").scrollTop = $("log").scrollHeight;
      break;
    }
    case "chat.done": {
      let el = currentTurn && currentTurn.turn === m.turn ? currentTurn.element : null;
      if (!el && m.text) { el = addBubble("assistant", m.text); el.dataset.turn = m.turn; }
      if (el) {
        el.querySelector(".text").textContent = m.text;
        el.dataset.done = "1";
        if (m.interrupted) { el.classList.add("interrupted"); el.title = t("interrupted"); }
      }
      if (m.refused && m.refused.blocked_until) notice(t("blocked", { until: localTime(m.refused.blocked_until) }), "info");
      currentTurn = null;
      setTalking(false);
      break;
    }
    case "viewers":
      showViewerLink(m.viewer_key);
      break;
    case "stats":
      $("st-server-fps").textContent = m.fps.toFixed(1);
      $("st-dropped").textContent = `${m.frames_dropped} (+${player.late})`;
      break;
    case "pong":
      if (typeof m.t === "number") $("st-latency").textContent = `${Math.round(performance.now() - m.t)} ms`;
      break;
    case "error":
      if (m.code === "blocked") notice(m.blocked_until ? t("blocked", { until: localTime(m.blocked_until) }) : t("blocked_plain"));
      else if (m.code === "rate_limited") notice(t("rate_limited"), "info");
      else if (m.code === "server_shutdown") notice(t("shutdown"), "info");
      else if (m.code === "unauthorized" && credential) {
        // An expired (or foreign) credential: start afresh as a new user rather than stay stuck.
        credential = null;
        localStorage.removeItem("ohlora.credential");
        notice(t("signed_out"), "info");
        setTimeout(() => connection.start(), 50);
      }
      else if (m.code === "server_full" || m.code === "too_many_sessions") notice(t("full"));
      else if (m.code !== "session_ended") notice(`${t("error")}: ${m.message}`);
      break;
  }
}

function showViewerLink(key) {
  const url = `${location.origin}/obs?viewer=${encodeURIComponent(key)}&affinity=${encodeURIComponent(affinity)}`;
  $("obs-link").href = $("obs-link").textContent = url;
}

const connection = new Connection({
  // utc_offset_min: her "today" and "now" are the user's (getTimezoneOffset is minutes west of UTC)
  hello: () => ({ role: "chat", ...(credential ? { credential } : {}), size: settings.size,
                  fps: settings.fps, quality: settings.quality, utc_offset_min: -new Date().getTimezoneOffset(),
                  ...(token ? { token } : {}) }),
  onMessage,
  onFrame: (frame) => player.push(frame),
  onStatus: setStatus,
  retryForever: false,
  affinity,
});
connection.start();

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("message").value.trim();
  if (!text) return;
  if (connection.send({ type: "chat.send", text })) {
    addBubble("user", text);
    $("message").value = "";
    notice(null);
  }
});
$("message").addEventListener("keydown", (event) => {
  // Enter sends, Shift+Enter is a new line; Enter that confirms a Korean (IME) composition does not send.
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  $("composer").requestSubmit();
});
$("stop").addEventListener("click", () => connection.send({ type: "cancel" }));
$("revoke-viewers").addEventListener("click", () => connection.send({ type: "viewers.revoke" }));

function togglePanel(button, panel) {
  const open = panel.hidden;
  panel.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
}
$("settings-toggle").addEventListener("click", () => togglePanel($("settings-toggle"), $("settings")));
$("debug-toggle").addEventListener("click", () => togglePanel($("debug-toggle"), $("debug")));
for (const key of ["size", "fps", "quality"]) $(`set-${key}`).value = String(settings[key]);
$("settings-apply").addEventListener("click", () => {
  for (const key of ["size", "fps", "quality"]) settings[key] = Number($(`set-${key}`).value);
  localStorage.setItem("ohlora.settings", JSON.stringify(settings));
  connection.restart();
});

$("lang-toggle").textContent = lang === "ko" ? "EN" : "한국어";
$("lang-toggle").addEventListener("click", () => {
  lang = lang === "ko" ? "en" : "ko";
  t = applyLanguage(lang);
  $("lang-toggle").textContent = lang === "ko" ? "EN" : "한국어";
  setStatus(status);
});

let controlsPending = false;
function sendControls() {
  if (controlsPending) return;
  controlsPending = true;
  requestAnimationFrame(() => {
    controlsPending = false;
    connection.send({ type: "expression", controls: {
      eyes: Number($("ctl-eyes").value), mouth: Number($("ctl-mouth").value), yaw: Number($("ctl-yaw").value) } });
  });
}
for (const id of ["ctl-eyes", "ctl-mouth", "ctl-yaw"]) $(id).addEventListener("input", sendControls);
$("ctl-release").addEventListener("click", () => {
  for (const id of ["ctl-eyes", "ctl-mouth", "ctl-yaw"]) $(id).value = "0";
  connection.send({ type: "expression", controls: null });
});

setInterval(() => {
  connection.send({ type: "ping", t: performance.now() });
  $("st-fps").textContent = player.fps().toFixed(1);
  $("st-buffer").textContent = String(player.bufferDepth());
}, 1000);

window.ohlora = { connection, player, credential: () => credential };   // for the browser tests and the curious
