// The web chat page's script (gateway/static/chat.html): a file, so the page's policy allows no inline script.
// The conversation, the long-poll cursor and the messages not yet sent are kept in this browser (localStorage)
// for one sender id, so a reload shows the conversation and messages typed offline are sent once back online.
"use strict";
(() => {
  const STORE = "helpdesk.chat";
  const KEEP = 200; // the newest entries of the conversation kept in the browser
  const LANGS = ["ro", "it", "es"];
  const newId = () => (crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""));
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (err) { saved = {}; }
  const state = {
    sender: saved.sender || newId(),
    cursor: saved.cursor || "0-0",
    lang: saved.lang || null,
    history: Array.isArray(saved.history) ? saved.history : [], // {k: "me"|"bot", ...} in the order shown
    queue: Array.isArray(saved.queue) ? saved.queue : [], // {mid, text, language?} still to be sent, in order
  };
  const shown = new Set(); // stream ids of the bot messages shown
  const views = new Map(); // history entry -> its elements on the page
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const confirmBox = document.getElementById("confirm");
  // The texts are a JSON data block of the page, filled in from core/locales/ (`web_chat.*`) when it is served.
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  let cleared = false, flushing = false, retryDelay = 1000, retryTimer = null;

  const t = (key) => (TEXTS[key] || {})[state.lang] || (TEXTS[key] || {}).ro || "";
  function save() {
    if (cleared) return;
    state.history = state.history.slice(-KEEP);
    const { sender, cursor, lang, history, queue } = state;
    localStorage.setItem(STORE, JSON.stringify({ sender, cursor, lang, history, queue }));
  }

  function applyLanguage(lang) {
    if (LANGS.includes(lang)) state.lang = lang;
    document.querySelectorAll(".langs button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang)));
    if (state.lang) document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-text]").forEach((el) => { el.textContent = t(el.dataset.text); });
    document.querySelectorAll("[data-label]").forEach((el) => {
      el.setAttribute("aria-label", t(el.dataset.label)); el.title = t(el.dataset.label);
    });
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

  // The web chat cannot send a location: the invitation to share one is left out of the answers shown here.
  function withoutLocationInvite(text) {
    let out = String(text || "");
    for (const sentence of Object.values(TEXTS.location_invite || {})) if (sentence) out = out.split(sentence).join("");
    return out.replace(/[ \t]+\n/g, "\n").trim();
  }

  // A counsellor's message says who wrote it: `"from": {"kind": "counsellor", "name": ..., "centre": ...}`.
  function counsellorOf(m) {
    const from = m.from && typeof m.from === "object" ? m.from : null;
    if (!from || from.kind !== "counsellor") return null;
    return { name: String(from.name || ""), centre: String(from.centre || "") };
  }

  function place(el) { log.appendChild(el); log.scrollTop = log.scrollHeight; return el; }
  function note(kind, text) {
    const div = document.createElement("div");
    div.className = "msg note " + kind; div.textContent = text;
    return place(div);
  }

  function renderMe(entry) {
    const div = document.createElement("div");
    div.className = "msg me";
    div.dataset.mid = entry.mid;
    const body = document.createElement("span");
    fillText(body, entry.text);
    const status = document.createElement("small");
    status.className = "status";
    div.append(body, status);
    views.set(entry, { div, status });
    markStatus(entry);
    return place(div);
  }

  function markStatus(entry) {
    const view = views.get(entry);
    if (!view) return;
    const key = entry.failed ? "failed" : entry.wait ? "waiting" : "";
    view.div.classList.toggle("waiting", Boolean(entry.wait));
    view.div.classList.toggle("failed", Boolean(entry.failed));
    if (key) view.status.dataset.text = key; else delete view.status.dataset.text;
    view.status.textContent = key ? t(key) : "";
    view.status.hidden = !key;
  }

  function renderBot(entry) {
    const who = entry.from;
    const text = withoutLocationInvite(entry.text);
    const view = {};
    if (text || who) {
      const div = document.createElement("div");
      div.className = "msg bot" + (who ? " counsellor" : "");
      if (who) {
        const head = document.createElement("strong");
        head.className = "who";
        head.textContent = [who.name, t("counsellor"), who.centre].filter(Boolean).join(" · ");
        div.appendChild(head);
      }
      const body = document.createElement("span");
      fillText(body, text);
      div.appendChild(body);
      view.div = place(div);
    }
    if (entry.buttons && entry.buttons.length) {
      const row = document.createElement("div");
      row.className = "choices";
      for (const b of entry.buttons) {
        const btn = document.createElement("button");
        btn.type = "button"; btn.textContent = b.title; btn.disabled = Boolean(entry.off);
        btn.addEventListener("click", () => {
          retire(entry);
          const chosen = /"language"\s*:\s*"(ro|it|es)"/.exec(b.payload);
          if (chosen) applyLanguage(chosen[1]);
          say(b.payload, b.title);
        });
        row.appendChild(btn);
      }
      view.row = place(row);
    }
    views.set(entry, view);
  }

  // Buttons of an earlier answer stop working once one of them is pressed or a newer answer arrives.
  function retire(entry) {
    entry.off = true; entry.stale = false;
    const row = (views.get(entry) || {}).row;
    if (row) row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  }

  function showBot(message) {
    if (!message.id || shown.has(message.id)) return;
    shown.add(message.id);
    const buttons = (message.buttons || []).map((b) => ({ title: String(b.title), payload: String(b.payload) }));
    for (const old of state.history) {
      if (old.k === "bot" && !old.off && old.buttons && old.buttons.length && (old.stale || buttons.length)) retire(old);
    }
    const entry = { k: "bot", id: message.id, text: message.text || "", buttons };
    const who = counsellorOf(message);
    if (who) entry.from = who;
    state.history.push(entry);
    renderBot(entry);
    save();
  }

  function advance(cursor) {
    if (cursor && cursor.localeCompare(state.cursor, undefined, { numeric: true }) > 0) { state.cursor = cursor; save(); }
  }

  function heard(data) {
    if (data && LANGS.includes(data.language) && data.language !== state.lang) { applyLanguage(data.language); save(); }
  }

  // A message the person sends: shown at once, kept in the queue with its own id until the gateway has it.
  function say(text, label, language) {
    const entry = { k: "me", mid: newId(), text: label || text, wait: true };
    for (const old of state.history) if (old.k === "bot" && !old.off && old.buttons && old.buttons.length) old.stale = true;
    state.history.push(entry);
    state.queue.push(language ? { mid: entry.mid, text, language } : { mid: entry.mid, text });
    renderMe(entry);
    save();
    flush();
  }

  function sentEntry(mid) { return state.history.find((e) => e.k === "me" && e.mid === mid); }

  // Posts the queued messages one at a time, in order; the same message_id on every try, so the gateway
  // takes a message once however often it is resent.
  async function flush() {
    if (flushing || cleared) return;
    flushing = true;
    try {
      while (state.queue.length && navigator.onLine !== false) {
        const item = state.queue[0];
        const outcome = await post(item);
        if (outcome === "retry") { retryLater(); return; }
        state.queue.shift();
        const entry = sentEntry(item.mid);
        if (entry) { entry.wait = false; entry.failed = outcome === "refused"; markStatus(entry); }
        retryDelay = 1000;
        save();
      }
      if (state.queue.length) retryLater(); // offline: the `online` event or this retry sends them
    } finally { flushing = false; }
  }

  function retryLater() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  async function post(item) {
    const typing = note("typing", t("typing"));
    try {
      const body = { sender: state.sender, text: item.text, message_id: item.mid };
      if (item.language) body.language = item.language;
      const res = await fetch("/webhooks/web", { method: "POST", headers: { "Content-Type": "application/json" },
                                                  body: JSON.stringify(body) });
      if (res.status >= 500 || res.status === 429 || res.status === 408) return "retry";
      const data = await res.json().catch(() => ({}));
      if (!res.ok && res.status !== 202) return "refused";
      // The gateway has the message: it shows as sent before its answers do.
      const entry = sentEntry(item.mid);
      if (entry) { entry.wait = false; markStatus(entry); }
      (data.messages || []).forEach(showBot);
      heard(data);
      return "sent";
    } catch (err) {
      return "retry"; // offline or the connection dropped: the message stays queued
    } finally {
      typing.remove();
    }
  }

  async function poll() {
    while (!cleared) {
      try {
        const url = "/webhooks/web/messages?wait=20&sender=" + encodeURIComponent(state.sender) + "&after=" + encodeURIComponent(state.cursor);
        const res = await fetch(url);
        if (res.ok) {
          const data = await res.json();
          (data.messages || []).forEach(showBot);
          heard(data);
          advance(data.cursor);
          continue;
        }
      } catch (err) { /* offline: try again shortly */ }
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  document.querySelectorAll(".langs button").forEach((b) => b.addEventListener("click", () => {
    applyLanguage(b.dataset.lang); save();
    say('/choose_language{"language":"' + b.dataset.lang + '"}', b.textContent);
  }));

  document.getElementById("clear").addEventListener("click", () => {
    confirmBox.hidden = false;
    document.getElementById("clear-no").focus();
  });
  document.getElementById("clear-no").addEventListener("click", () => { confirmBox.hidden = true; });
  document.getElementById("clear-yes").addEventListener("click", () => {
    // Shared phones: nothing of this conversation stays in the browser, and the next one has a new sender id.
    cleared = true;
    localStorage.removeItem(STORE);
    location.reload();
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    say(text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  window.addEventListener("online", () => { retryDelay = 1000; clearTimeout(retryTimer); flush(); });

  const firstVisit = !saved.sender;
  for (const entry of state.history) {
    if (entry.k === "bot") { shown.add(entry.id); renderBot(entry); } else renderMe(entry);
  }
  applyLanguage(state.lang);
  save();
  poll();
  if (firstVisit) {
    // Start in the phone's language when it is one of ours; the user can change it at any time.
    const phone = (navigator.language || "").slice(0, 2).toLowerCase();
    if (LANGS.includes(phone)) applyLanguage(phone);
    say("/greet", "👋", LANGS.includes(phone) ? phone : undefined);
  } else {
    flush();
  }
})();
