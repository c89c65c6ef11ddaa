// The web chat page's script (gateway/static/chat.html); a file, so the page's policy allows no inline script.
"use strict";
(() => {
  const STORE = "helpdesk.chat";
  const saved = JSON.parse(localStorage.getItem(STORE) || "{}");
  const state = {
    sender: saved.sender || (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()),
    cursor: saved.cursor || "0-0",
    lang: saved.lang || null,
  };
  const shown = new Set();
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  // The texts are a JSON data block of the page, filled in from core/locales/ when it is served.
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  const TYPING = TEXTS.typing, FAILED = TEXTS.failed;

  const save = () => localStorage.setItem(STORE, JSON.stringify(state));
  const t = (table) => table[state.lang] || table.ro;

  function markLanguage() {
    document.querySelectorAll(".langs button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang)));
    if (state.lang) document.documentElement.lang = state.lang;
  }

  // Text goes in as text nodes; only https:// links and phone numbers become anchors (tap to open / call).
  const LINKS = /(https:\/\/[^\s<>"]+|\+?\d[\d ]{5,}\d|\b112\b)/g;
  function fillText(el, text) {
    for (const part of String(text).split(LINKS)) {
      if (!part) continue;
      if (/^https:\/\//.test(part)) {
        const clean = part.replace(/[.,;:)]+$/, "");
        el.appendChild(anchor(clean, clean));
        if (clean.length < part.length) el.appendChild(document.createTextNode(part.slice(clean.length)));
      } else if (/^\+?\d[\d ]*\d$/.test(part)) {
        el.appendChild(anchor("tel:" + part.replace(/ /g, ""), part));
      } else {
        el.appendChild(document.createTextNode(part));
      }
    }
  }

  function anchor(href, label) {
    const a = document.createElement("a");
    a.href = href; a.textContent = label;
    if (href.startsWith("https:")) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
    return a;
  }

  function bubble(kind, text) {
    const div = document.createElement("div");
    div.className = "msg " + kind;
    fillText(div, text);
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showBot(message) {
    if (message.id) { if (shown.has(message.id)) return; shown.add(message.id); }
    if (message.text) bubble("bot", message.text);
    if (message.buttons && message.buttons.length) {
      const row = document.createElement("div");
      row.className = "choices";
      for (const b of message.buttons) {
        const btn = document.createElement("button");
        btn.type = "button"; btn.textContent = b.title;
        btn.addEventListener("click", () => {
          row.querySelectorAll("button").forEach((x) => { x.disabled = true; });
          const chosen = /"language"\s*:\s*"(ro|it|es)"/.exec(b.payload);
          if (chosen) { state.lang = chosen[1]; markLanguage(); save(); }
          send(b.payload, b.title);
        });
        row.appendChild(btn);
      }
      log.appendChild(row);
      log.scrollTop = log.scrollHeight;
    }
  }

  function advance(cursor) {
    if (cursor && cursor.localeCompare(state.cursor, undefined, { numeric: true }) > 0) { state.cursor = cursor; save(); }
  }

  async function send(text, label) {
    bubble("me", label || text);
    const typing = bubble("note typing", t(TYPING));
    sendButton.disabled = true;
    try {
      const body = { sender: state.sender, text };
      if (state.startLang) { body.language = state.startLang; delete state.startLang; }
      const res = await fetch("/webhooks/web", { method: "POST", headers: { "Content-Type": "application/json" },
                                                  body: JSON.stringify(body) });
      const data = await res.json();
      if (!res.ok && res.status !== 202) throw new Error(data.error || res.status);
      (data.messages || []).forEach(showBot);
    } catch (err) {
      bubble("note", t(FAILED));
    } finally {
      typing.remove();
      sendButton.disabled = false;
    }
  }

  async function poll() {
    for (;;) {
      try {
        const url = "/webhooks/web/messages?wait=20&sender=" + encodeURIComponent(state.sender) + "&after=" + encodeURIComponent(state.cursor);
        const res = await fetch(url);
        if (res.ok) {
          const data = await res.json();
          (data.messages || []).forEach(showBot);
          advance(data.cursor);
          continue;
        }
      } catch (err) { /* offline: try again shortly */ }
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  document.querySelectorAll(".langs button").forEach((b) => b.addEventListener("click", () => {
    state.lang = b.dataset.lang; markLanguage(); save();
    send('/choose_language{"language":"' + b.dataset.lang + '"}', b.textContent);
  }));

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });

  markLanguage();
  save();
  const firstVisit = state.cursor === "0-0" && !saved.sender;
  poll();
  if (firstVisit) {
    // Start in the phone's language when it is one of ours; the user can change it at any time.
    const phone = (navigator.language || "").slice(0, 2).toLowerCase();
    if (["ro", "it", "es"].includes(phone)) { state.startLang = phone; state.lang = phone; markLanguage(); }
    send("/greet", "👋");
  }
})();
