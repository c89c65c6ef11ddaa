// The campaigns page: draft, live audience count and previews, approval, send or schedule, live progress.
"use strict";
// Every text of the page is in broadcasts/locales/{language}.json (served at /campaigns/locales/), in the
// account's language first; the RO / EN button switches between the languages there are and keeps the choice on
// the account.
const COLUMNS = ["queued", "sent", "delivered", "read", "failed", "unconfirmed", "skipped", "stopped", "remaining"];
let words = {}, locale = { language: "ro", texts: {} }, me = null, current = null, timer = null, counting = null;
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, text = "") => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
};

async function api(path, method = "GET", body = undefined) {
  const headers = { "Content-Type": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = me ? me.csrf : "";
  const response = await fetch(`/campaigns/api${path}`, { method, headers, body: body && JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || data.error || `HTTP ${response.status}`);
  return data;
}

async function loadTexts(language) {
  const response = await fetch(`/campaigns/locales/${encodeURIComponent(language)}.json`);
  if (!response.ok) throw new Error(`locale ${language}: ${response.status}`);
  locale = { language, texts: await response.json() };
  words = locale.texts.page;
}

function stateWord(state) {
  return locale.texts.states[state] || state;
}

// A filter's value as words ("it" → Italia / Italy, a channel, a topic, a centre's name); the value itself otherwise.
function valueWord(group, value) {
  if (group === "centre") return (me.centres.find((c) => c.id === value) || { name: value }).name;
  return ((locale.texts.values || {})[group] || {})[value] || value;
}

function translate() {
  document.documentElement.lang = locale.language;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = words[node.dataset.t] || node.dataset.t;
  for (const node of document.querySelectorAll("[data-group]")) node.textContent = valueWord(node.dataset.group, node.dataset.value);
  for (const node of document.querySelectorAll("[data-title-language]")) {
    node.placeholder = `${words.button_title} (${valueWord("language", node.dataset.titleLanguage)})`;
  }
  $("who").textContent = `${me.name} (${(locale.texts.roles || {})[me.role] || me.role})`;
  const others = me.ui_languages.filter((l) => l !== locale.language);
  $("lang").textContent = (others[0] || locale.language).toUpperCase();
  $("lang").dataset.language = others[0] || locale.language;
  buttons();
  list().catch(() => {});
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function buildForm() {
  const texts = $("texts");
  for (const language of me.languages) {
    const label = el("label", { for: `text-${language}` });
    label.append(el("span", { "data-t": "text" }, words.text), " (", el("span", { "data-group": "language", "data-value": language }, valueWord("language", language)), ")");
    texts.append(label);
    const area = el("textarea", { id: `text-${language}`, maxlength: String(me.max_text + 200) });
    texts.append(area, el("div", { id: `count-${language}`, class: "count" }));
    $("fallback").append(el("option", { value: language, "data-group": "language", "data-value": language }, valueWord("language", language)));
  }
  for (let i = 0; i < me.max_buttons; i++) {
    const row = el("div", { class: "button-row" });
    const select = el("select", { id: `payload-${i}`, "aria-label": words.payload });
    select.append(el("option", { value: "" }, "—"));
    for (const payload of me.payloads) {
      select.append(el("option", { value: payload, "data-group": "payload", "data-value": payload }, valueWord("payload", payload)));
    }
    row.append(select);
    for (const language of me.languages) {
      row.append(el("input", { id: `title-${i}-${language}`, "data-title-language": language, maxlength: "20" }));
    }
    $("buttons").append(row);
  }
  const filters = { language: me.languages, channel: me.channels, topic: me.topics, country: me.countries,
    centre: me.centres.map((c) => c.id) };
  for (const [name, values] of Object.entries(filters)) {
    const box = el("div", { class: "filter" });
    box.append(el("strong", { "data-t": name }, words[name]), document.createTextNode(": "));
    for (const value of values) {
      const label = el("label");
      label.append(el("input", { type: "checkbox", name, value }), el("span", { "data-group": name, "data-value": value }, valueWord(name, value)));
      box.append(label);
    }
    $("audience").append(box);
  }
  for (const language of me.languages) {
    const row = el("div");
    row.append(el("input", { id: `sid-${language}`, placeholder: `Content SID (${language}) HX…` }));
    row.append(el("input", { id: `vars-${language}`, placeholder: `${words.variables} {"1": "…"}` }));
    $("templates").append(row);
  }
  $("tz").textContent = Intl.DateTimeFormat().resolvedOptions().timeZone;
  $("editor").addEventListener("input", () => { preview(); countSoon(); });
}

function form() {
  const texts = {}, templates = {}, audience = {};
  for (const language of me.languages) {
    const value = $(`text-${language}`).value.trim();
    if (value) texts[language] = value;
    const sid = $(`sid-${language}`).value.trim();
    if (sid) {
      let variables = {};
      try { variables = JSON.parse($(`vars-${language}`).value || "{}"); } catch (e) { variables = {}; }
      templates[language] = { sid, variables };
    }
  }
  const buttons = [];
  for (let i = 0; i < me.max_buttons; i++) {
    const payload = $(`payload-${i}`).value;
    if (!payload) continue;
    const titles = {};
    for (const language of me.languages) titles[language] = $(`title-${i}-${language}`).value.trim();
    buttons.push({ payload, titles });
  }
  for (const box of document.querySelectorAll("#audience input:checked")) {
    (audience[box.name] = audience[box.name] || []).push(box.value);
  }
  return { name: $("name").value.trim(), texts, fallback: $("fallback").value, buttons, audience, templates,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone };
}

function fill(c) {
  $("name").value = c.name;
  for (const language of me.languages) {
    $(`text-${language}`).value = c.texts[language] || "";
    $(`sid-${language}`).value = (c.templates[language] || {}).sid || "";
    $(`vars-${language}`).value = JSON.stringify((c.templates[language] || {}).variables || {});
  }
  $("fallback").value = c.fallback || "";
  for (let i = 0; i < me.max_buttons; i++) {
    const b = c.buttons[i] || { payload: "", titles: {} };
    $(`payload-${i}`).value = b.payload;
    for (const language of me.languages) $(`title-${i}-${language}`).value = b.titles[language] || "";
  }
  for (const box of document.querySelectorAll("#audience input")) {
    box.checked = (c.audience[box.name] || []).includes(box.value);
  }
}

function preview() {
  const data = form();
  $("previews").replaceChildren();
  const language = Object.keys(data.texts)[0] || data.fallback || "ro";
  const body = `${data.texts[language] || ""}\n\n${me.footer[language]}`;
  for (const channel of ["whatsapp", "telegram", "viber"]) {
    const phone = el("div", { class: "phone", "data-channel": channel });
    phone.append(el("h4", {}, `${valueWord("channel", channel)} (${valueWord("language", language)})`));
    let shown = body;
    if (channel === "whatsapp" && data.buttons.length) {
      shown += "\n\n" + data.buttons.map((b, i) => `${i + 1}. ${b.titles[language] || ""}`).join("\n");
    }
    phone.append(el("div", {}, shown));
    if (channel !== "whatsapp") for (const b of data.buttons) phone.append(el("span", { class: "btn" }, b.titles[language] || ""));
    const limit = me.limits[channel];
    phone.append(el("div", { class: shown.length > limit ? "count over" : "count" }, `${shown.length} / ${limit}`));
    $("previews").append(phone);
  }
  for (const lang of me.languages) {
    const n = $(`text-${lang}`).value.length;
    const node = $(`count-${lang}`);
    node.textContent = `${n} / ${me.max_text}`;
    node.className = n > me.max_text ? "count over" : "count";
  }
}

function countSoon() {
  clearTimeout(counting);
  counting = setTimeout(count, 250);
}

let countSeq = 0;

// The counts per channel at once (bitmaps: milliseconds); then how many WhatsApp subscribers are outside the
// 24-hour window, which looks at each of them and takes longer with tens of thousands.
async function count() {
  const data = form();
  const seq = ++countSeq;
  for (const window of [false, true]) {
    const found = await api("/audience", "POST", { audience: data.audience, window });
    if (seq !== countSeq) return; // the audience changed meanwhile
    const parts = Object.entries(found.eligible).map(([c, n]) => `${valueWord("channel", c)}: ${n}`);
    let line = `${found.total} ${words.people} (${parts.join(", ")}); ${found.stopped_total} ${words.stopped}`;
    if (found.whatsapp_outside_window !== undefined) line += `; WhatsApp ${words.outside}: ${found.whatsapp_outside_window}`;
    $("counts").textContent = line;
    if (!found.eligible.whatsapp) return;
  }
}

async function list() {
  const found = await api("/campaigns");
  $("list").replaceChildren(...found.campaigns.map((c) => {
    const item = el("li", { "data-id": c.id }, `${c.name} `);
    item.append(el("span", { class: "state", "data-state": c.state }, stateWord(c.state)));
    item.addEventListener("click", () => open(c.id));
    return item;
  }));
}

function buttons() {
  const state = current ? current.state : "new";
  const mine = current && current.created_by === me.username;
  const can = {
    save: ["new", "draft", "approved"].includes(state),
    approve: state === "draft" && ["supervisor", "admin"].includes(me.role) && !mine,
    send: ["approved", "scheduled"].includes(state), schedule: ["approved", "scheduled"].includes(state),
    pause: state === "sending", resume: state === "paused",
    cancel: ["approved", "scheduled", "sending", "paused"].includes(state),
  };
  for (const [id, ok] of Object.entries(can)) $(id).disabled = !ok;
  $("state").textContent = stateWord(state);
  $("state").dataset.state = state;
}

async function open(id) {
  showError("");
  current = id ? await api(`/campaigns/${id}`) : null;
  $("editor").hidden = false;
  if (current) fill(current); else fill({ name: "", texts: {}, templates: {}, fallback: "", buttons: [], audience: {} });
  buttons();
  preview();
  count();
  watch();
}

async function act(action, body) {
  showError("");
  try {
    current = await api(`/campaigns/${current.id}/${action}`, "POST", body || {});
    buttons();
    list();
    watch();
  } catch (error) { showError(error.message); }
}

async function save() {
  showError("");
  try {
    current = current ? await api(`/campaigns/${current.id}`, "PUT", form()) : await api("/campaigns", "POST", form());
    buttons();
    list();
  } catch (error) { showError(error.message); }
}

function watch() {
  clearInterval(timer);
  const live = current && ["sending", "paused", "done", "cancelled"].includes(current.state);
  $("progress").hidden = !live;
  if (!live) return;
  $("csv").href = `/campaigns/api/campaigns/${current.id}/report.csv`;
  const tick = async () => {
    const report = await api(`/campaigns/${current.id}/report`);
    if (report.state !== current.state) { current.state = report.state; buttons(); list(); }
    const audience = Object.values(report.audience).reduce((a, b) => a + b, 0) || 1;
    const finished = report.total.sent + report.total.failed + report.total.unconfirmed + report.total.skipped;
    $("bar-fill").style.width = `${Math.min(100, (100 * finished) / audience)}%`;
    const head = el("tr");
    head.append(el("th", {}, words.channel), ...COLUMNS.map((c) => el("th", { "data-column": c }, locale.texts.columns[c] || c)));
    const rows = Object.entries(report.channels).map(([channel, row]) => {
      const tr = el("tr", { "data-channel": channel });
      tr.append(el("td", {}, valueWord("channel", channel)), ...COLUMNS.map((c) => el("td", {}, String(row[c]))));
      return tr;
    });
    const total = el("tr", { "data-channel": "total" });
    total.append(el("td", {}, words.total), ...COLUMNS.map((c) => el("td", {}, String(report.total[c]))));
    $("table").replaceChildren(head, ...rows, total);
  };
  tick();
  timer = setInterval(tick, 1000);
}

async function start() {
  me = await api("/me").catch(() => { location.href = "/campaigns/login"; });
  if (!me) return;
  await loadTexts(me.language || "ro");
  buildForm();
  translate();
  $("lang").addEventListener("click", () => {
    const language = $("lang").dataset.language;  // kept on the account: the next login opens in it
    api("/me/language", "POST", { language }).then(() => loadTexts(language)).then(translate).then(preview).catch(showError);
  });
  $("new").addEventListener("click", () => open(null));
  $("save").addEventListener("click", save);
  for (const action of ["approve", "send", "pause", "resume", "cancel"]) {
    $(action).addEventListener("click", () => act(action));
  }
  $("schedule").addEventListener("click", () => act("schedule", {
    at: $("at").value, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone }));
  await list();
}

document.addEventListener("DOMContentLoaded", start);
