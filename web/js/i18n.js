// The page's words in Korean and English: chosen by the browser's language, switchable, remembered.
const STRINGS = {
  ko: {
    title: "오로라와 대화하기", placeholder: "오로라에게 말을 걸어 보세요…", send: "보내기", stop: "멈추기",
    settings: "설정", debug: "디버그", size: "크기", fps: "초당 프레임", quality: "화질", apply: "적용",
    close: "닫기", language: "언어", you: "나", her: "오로라",
    status_connecting: "연결 중…", status_live: "연결됨", status_reconnecting: "다시 연결하는 중…",
    status_closed: "연결 끊김", status_stopped: "연결할 수 없음",
    stats_fps: "표시 fps", stats_server_fps: "수신 fps", stats_dropped: "버린 프레임", stats_latency: "지연(왕복)",
    stats_buffer: "버퍼", sliders: "표정 직접 조절 (잠재 공간 탐색)", eyes: "눈", mouth: "입", yaw: "고개",
    release: "애니메이션으로 되돌리기", obs_link: "OBS 브라우저 소스 주소", session: "세션",
    blocked: "잠시 대화할 수 없어요. {until}에 다시 이야기해요.", blocked_plain: "잠시 대화할 수 없어요.",
    interrupted: "(중단됨)", error: "오류", rate_limited: "메시지를 너무 빨리 보내고 있어요.",
    shutdown: "서버가 다시 시작하는 중이에요. 곧 다시 연결해요.",
    revoke: "새 링크 만들기 (이전 링크는 끊김)", signed_out: "로그인 정보가 만료되어 새 대화를 시작해요.",
    full: "지금은 서버가 꽉 찼어요. 잠시 뒤에 다시 시도해 주세요.",
  },
  en: {
    title: "Chat with Oh-LoRA", placeholder: "Say something to Oh-LoRA…", send: "Send", stop: "Stop",
    settings: "Settings", debug: "Debug", size: "Size", fps: "Frames/s", quality: "Quality", apply: "Apply",
    close: "Close", language: "Language", you: "You", her: "Oh-LoRA",
    status_connecting: "Connecting…", status_live: "Live", status_reconnecting: "Reconnecting…",
    status_closed: "Disconnected", status_stopped: "Cannot connect",
    stats_fps: "fps shown", stats_server_fps: "fps received", stats_dropped: "dropped frames",
    stats_latency: "latency (round trip)", stats_buffer: "buffer", sliders: "Drive the expression (latent explorer)",
    eyes: "Eyes", mouth: "Mouth", yaw: "Head turn", release: "Back to animation", obs_link: "OBS browser source URL",
    session: "Session", blocked: "You cannot chat for a while. Let's talk again at {until}.",
    blocked_plain: "You cannot chat for a while.", interrupted: "(interrupted)", error: "Error",
    rate_limited: "You are sending messages too fast.", shutdown: "The server is restarting; reconnecting soon.",
    revoke: "New link (the old one stops working)", signed_out: "Your sign-in expired; starting a new conversation.",
    full: "The server is full right now. Please try again in a minute.",
  },
};

export function initialLanguage() {
  const saved = localStorage.getItem("ohlora.lang");
  if (saved && STRINGS[saved]) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("ko") ? "ko" : "en";
}

export function translator(lang) {
  const table = STRINGS[lang] || STRINGS.en;
  return (key, vars = {}) => (table[key] || STRINGS.en[key] || key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? "");
}

/** Fill every [data-i18n] element (text) and [data-i18n-placeholder] (placeholder) of the page. */
export function applyLanguage(lang) {
  const t = translator(lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  localStorage.setItem("ohlora.lang", lang);
  return t;
}
