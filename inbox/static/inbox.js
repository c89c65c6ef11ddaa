// The counsellors' inbox: queue, case view and actions, live through server-sent events. No build step.
// Every text from a user or a colleague is put in the page with textContent, never as markup.
"use strict";

const state = { me: null, csrf: "", current: null, centres: [], cases: [], canned: {} };
const $ = (sel) => document.querySelector(sel);
const LANGS = { ro: "Romanian", it: "Italian", es: "Spanish" };
const REASONS = {
  user_request: "asked for a person",
  not_understood: "bot did not understand",
  counsellor_topic: "topic needs a counsellor",
  safety: "SAFETY",
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function toast(message, bad = false) {
  const box = $("#toast");
  box.textContent = message;
  box.className = bad ? "toast show bad" : "toast show";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.className = "toast"), 4000);
}

async function api(path, body) {
  const options = { headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRF-Token"] = state.csrf;
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401) {
    location.href = "/inbox/login";
    throw new Error("logged out");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const reason = typeof data.detail === "string" ? data.detail : `error ${response.status}`;
    const error = new Error(reason);
    error.status = response.status;
    throw error;
  }
  return data;
}

function minutes(seconds) {
  if (seconds < 60) return "<1 min";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function clock(at) {
  return new Date(at * 1000).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

// Queue ------------------------------------------------------------------------------------------------------

function caseItem(c) {
  const waited = c.state === "waiting" ? (Date.now() / 1000 - c.created_at) : c.waiting_seconds;
  const owner = c.holder || c.assignee;
  const item = el(
    "li",
    { class: `item${c.urgent ? " urgent" : ""}${state.current === c.id ? " selected" : ""}`, "data-case": c.id },
    el(
      "a",
      { href: `#case/${c.id}`, class: "item-link" },
      el("span", { class: "badges" },
        c.urgent ? el("span", { class: "badge urgent", text: "URGENT" }) : null,
        el("span", { class: "badge", text: c.language.toUpperCase(), title: LANGS[c.language] || c.language }),
        el("span", { class: "badge", text: c.channel })),
      el("span", { class: "reason", text: REASONS[c.reason] || c.reason }),
      el("span", { class: "meta", text: `${c.centre_name}${c.topic ? " · " + c.topic : ""}` }),
      el("span", { class: "wait", text: c.state === "waiting" ? `waiting ${minutes(waited)}` : `claimed by ${owner}` }),
    ),
  );
  return item;
}

async function loadQueue() {
  const centre = $("#centre-filter").value;
  const data = await api(`/inbox/api/queue${centre ? "?centre=" + encodeURIComponent(centre) : ""}`);
  state.cases = data.cases;
  $("#queue").replaceChildren(...data.cases.map(caseItem));
  $("#queue-empty").hidden = data.cases.length > 0;
  if (data.overflow) {
    $("#overflow-box").hidden = data.overflow.length === 0;
    $("#overflow").replaceChildren(...data.overflow.map(caseItem));
  }
  const waiting = data.cases.filter((c) => c.state === "waiting").length;
  const urgent = data.cases.filter((c) => c.urgent && c.state === "waiting");
  $("#urgent").hidden = urgent.length === 0;
  if (urgent.length) {
    $("#urgent").textContent = `URGENT: ${urgent.length} case${urgent.length > 1 ? "s" : ""} waiting (${urgent[0].centre_name}, ${minutes(Date.now() / 1000 - urgent[0].created_at)}) – open`;
    $("#urgent").href = `#case/${urgent[0].id}`;
  }
  document.title = waiting ? `(${waiting}) Inbox` : "Inbox";
}

// Case view ---------------------------------------------------------------------------------------------------

function fact(name, value) {
  return [el("dt", { text: name }), el("dd", { text: value || "—" })];
}

function timelineEntry(entry) {
  const when = el("time", { text: clock(entry.at) });
  if (entry.kind === "event") {
    const who = entry.by ? ` by ${entry.by}` : "";
    const centreName = (id) => (state.centres.find((c) => c.id === id) || { name: id }).name;
    const to = entry.to ? ` → ${entry.to}` : entry.centre ? ` → ${centreName(entry.centre)}` : "";
    return el("li", { class: "event" }, el("span", { text: `${entry.text}${who}${to}` }), when);
  }
  const labels = { user: "Person", bot: "Bot", counsellor: entry.by || "Counsellor", note: `Note · ${entry.by || ""}` };
  return el(
    "li",
    { class: `msg ${entry.kind}${entry.before_handoff ? " before" : ""}` },
    el("span", { class: "who", text: labels[entry.kind] || entry.kind }),
    el("p", { text: entry.text }),
    when,
  );
}

async function openCase(id) {
  state.current = id;
  let c;
  try {
    c = await api(`/inbox/api/cases/${encodeURIComponent(id)}`);
  } catch (error) {
    $("#case-pane").hidden = false;
    $("#case-title").textContent = error.status === 403 ? "Not your centre's case" : "Case not found";
    $("#case-facts").replaceChildren();
    $("#timeline").replaceChildren();
    document.body.classList.add("reading");
    toast(error.message, true);
    return;
  }
  document.body.classList.add("reading");
  $("#case-pane").hidden = false;
  $("#case-pane").dataset.state = c.state;
  $("#case-title").textContent = `${c.urgent ? "URGENT · " : ""}${REASONS[c.reason] || c.reason}`;
  const userFact = fact("Person", c.user);
  if (c.state !== "closed") {
    userFact[1].append(" ", el("button", { type: "button", class: "link", id: "reveal", text: "show number", onclick: reveal }));
  }
  $("#case-facts").replaceChildren(
    ...fact("Language", LANGS[c.language] || c.language),
    ...fact("Channel", c.channel),
    ...fact("Country now", c.country),
    ...fact("From", c.origin),
    ...fact("Centre", c.centre_name),
    ...userFact,
    ...fact("Opened", clock(c.created_at)),
    ...fact("State", c.state === "closed" ? `closed (${c.outcome})` : c.state),
  );
  const owner = c.holder || c.assignee;
  $("#owner").textContent = c.state === "closed" ? "" : owner ? (c.mine ? "You have this case." : `Claimed by ${owner}.`) : "Nobody has claimed this case yet.";
  $("#owner").className = `owner${c.mine ? " mine" : owner ? " other" : ""}`;
  const open = c.state !== "closed";
  $("#claim").hidden = !open || c.mine;
  $("#claim").textContent = owner && !c.mine ? `Claim (held by ${owner})` : "Claim";
  for (const sel of ["#transfer-box", "#close-box", "#handback", "#compose", "#labels-form"]) $(sel).hidden = !open;
  $("#window").hidden = c.window_open !== false;
  $("#template").disabled = !c.template_ready || !c.mine;
  $("#template").textContent = c.template_ready ? "Send the template" : "No approved template configured";
  $("#send").disabled = !c.mine && $("input[name=mode]:checked").value === "reply";
  $("#timeline").replaceChildren(...c.timeline.map(timelineEntry));
  $("#timeline").scrollTop = $("#timeline").scrollHeight;
  $("#labels").value = c.labels.join(", ");
  state.caseData = c;
  await loadCanned(c.language);
  await loadCounsellors(c.centre);
  for (const item of document.querySelectorAll(".item")) item.classList.toggle("selected", item.dataset.case === id);
}

async function loadCanned(language) {
  if (!state.canned[language]) state.canned[language] = (await api(`/inbox/api/canned?language=${language}`)).replies;
  const options = state.canned[language].map((r, i) => el("option", { value: String(i), text: r.title }));
  $("#canned").replaceChildren(el("option", { value: "", text: "Canned replies…" }), ...options);
}

async function loadCounsellors(centre) {
  const data = await api(`/inbox/api/counsellors?centre=${encodeURIComponent(centre)}`);
  const options = data.counsellors
    .filter((p) => p.username !== state.me.username)
    .map((p) => el("option", { value: p.username, text: `${p.name} (${p.username})` }));
  $("#transfer-counsellor").replaceChildren(el("option", { value: "", text: "—" }), ...options);
}

function closeCase() {
  state.current = null;
  document.body.classList.remove("reading");
  $("#case-pane").hidden = true;
  if (location.hash.startsWith("#case/")) history.replaceState(null, "", "#");
}

async function act(path, body, done) {
  try {
    const result = await api(`/inbox/api/cases/${encodeURIComponent(state.current)}/${path}`, body ?? {});
    if (done) toast(done);
    await Promise.all([openCase(state.current), loadQueue()]);
    return result;
  } catch (error) {
    toast(error.message, true);
    if (error.status === 409) await openCase(state.current);
    return null;
  }
}

async function reveal() {
  try {
    const data = await api(`/inbox/api/cases/${encodeURIComponent(state.current)}/reveal`, {});
    const button = $("#reveal");
    button.replaceWith(el("span", { class: "revealed", text: data.user }));
    toast("Shown (recorded in the audit log).");
  } catch (error) {
    toast(error.message, true);
  }
}

// Figures and accounts ----------------------------------------------------------------------------------------

function figureTable(title, rows) {
  const head = el("tr", {}, ...["", "cases", "waiting", "overflow", "median first response", "median to close"].map((h) => el("th", { text: h })));
  const body = Object.entries(rows).map(([name, f]) =>
    el("tr", {},
      el("th", { text: name }),
      el("td", { text: String(f.cases) }),
      el("td", { text: String(f.waiting) }),
      el("td", { text: String(f.overflow) }),
      el("td", { text: f.median_first_response_seconds == null ? "—" : minutes(f.median_first_response_seconds) }),
      el("td", { text: f.median_close_seconds == null ? "—" : minutes(f.median_close_seconds) })));
  return el("section", {}, el("h3", { text: title }), el("table", { class: "table" }, el("thead", {}, head), el("tbody", {}, ...body)));
}

async function loadFigures() {
  const f = await api("/inbox/api/figures?days=30");
  const names = Object.fromEntries(state.centres.map((c) => [c.id, c.name]));
  const byCentre = Object.fromEntries(Object.entries(f.by_centre).map(([k, v]) => [names[k] || k, v]));
  const duty = Object.entries(f.on_duty).map(([centre, people]) => el("li", { text: `${names[centre] || centre}: ${people.join(", ")}` }));
  $("#figures").replaceChildren(
    el("section", { id: "on-duty" }, el("h3", { text: "On duty now (inbox open)" }),
      duty.length ? el("ul", {}, ...duty) : el("p", { class: "empty", text: "Nobody has the inbox open." })),
    figureTable("All centres", { all: f.total }),
    figureTable("By centre", byCentre),
    figureTable("By language", f.by_language),
    figureTable("By topic or reason", f.by_topic),
  );
}

async function loadAccounts() {
  const data = await api("/inbox/api/users");
  const rows = data.users.map((u) =>
    el("tr", {},
      el("td", { text: u.username }), el("td", { text: u.name }), el("td", { text: u.role }), el("td", { text: u.centre || "—" }),
      el("td", {}, el("button", {
        type: "button", class: "quiet", text: u.active ? "active – disable" : "disabled – enable",
        onclick: async () => {
          try { await api(`/inbox/api/users/${encodeURIComponent(u.username)}/active`, { active: !u.active }); await loadAccounts(); }
          catch (error) { toast(error.message, true); }
        },
      }))));
  $("#users tbody").replaceChildren(...rows);
  const centres = (await api("/inbox/api/centres")).centres.map((c) =>
    el("li", { text: `${c.name} (${c.id}${c.default ? ", default" : ""}) – ${c.open_now ? "open now" : "closed now"}; languages: ${c.languages.join(", ")}; Mon: ${(c.hours.mon || []).join(", ") || "closed"}` }));
  $("#centres").replaceChildren(el("ul", {}, ...centres));
}

function show(view) {
  for (const name of ["queue", "figures", "accounts"]) {
    $(`#view-${name}`).hidden = name !== view;
    document.querySelector(`.tab[data-view=${name}]`).setAttribute("aria-current", name === view ? "page" : "false");
  }
  if (view === "figures") loadFigures().catch((e) => toast(e.message, true));
  if (view === "accounts") loadAccounts().catch((e) => toast(e.message, true));
}

// Live updates ------------------------------------------------------------------------------------------------

function listen() {
  const source = new EventSource("/inbox/api/events");
  const refresh = async (event) => {
    const data = JSON.parse(event.data);
    if (event.type === "case_new") toast(data.urgent ? "New URGENT case" : "New case");
    await loadQueue();
    if (state.current === data.case) await openCase(data.case);
  };
  for (const type of ["case_new", "case_message", "case_claimed", "case_updated", "case_overflow"]) {
    source.addEventListener(type, (e) => refresh(e).catch(() => {}));
  }
  source.onopen = () => { $("#live").textContent = "live"; $("#live").className = "live on"; loadQueue().catch(() => {}); };
  source.onerror = () => { $("#live").textContent = "reconnecting"; $("#live").className = "live"; };
}

// Start ---------------------------------------------------------------------------------------------------------

async function start() {
  state.me = await api("/inbox/api/me");
  state.csrf = state.me.csrf;
  state.centres = state.me.centres;
  $("#logout input[name=csrf]").value = state.csrf;
  $("#who").textContent = `${state.me.name} · ${state.me.role}${state.me.centre ? " · " + (state.centres.find((c) => c.id === state.me.centre) || {}).name : ""}`;
  const centreOptions = () => state.centres.map((c) => el("option", { value: c.id, text: c.name }));
  $("#transfer-centre").replaceChildren(el("option", { value: "", text: "—" }), ...centreOptions());
  $("#nu-centre").replaceChildren(el("option", { value: "", text: "—" }), ...centreOptions());
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
  const supervisor = state.me.role === "supervisor";
  document.querySelector(".tab[data-view=figures]").hidden = !supervisor;
  document.querySelector(".tab[data-view=accounts]").hidden = state.me.role !== "admin";
  if (supervisor) {
    $("#centre-filter").hidden = false;
    $("#centre-filter").replaceChildren(el("option", { value: "", text: "All centres" }), ...centreOptions());
    $("#centre-filter").addEventListener("change", () => loadQueue());
  }
  if (state.me.role === "admin") {
    $("#view-queue").hidden = true;
    document.querySelector(".tab[data-view=queue]").hidden = true;
    show("accounts");
    return;
  }
  $("#back").addEventListener("click", closeCase);
  $("#claim").addEventListener("click", () => act("claim", {}, "Claimed: the case is yours."));
  $("#handback").addEventListener("click", () => {
    if (confirm("Hand the conversation back to the bot?")) act("handback", {}, "Handed back to the bot.").then(() => closeCase());
  });
  $("#template").addEventListener("click", () => act("template", {}, "Template sent."));
  $("#close").addEventListener("submit", (e) => {
    e.preventDefault();
    act("close", { outcome: $("#outcome").value }, "Case closed.").then(() => closeCase());
  });
  $("#transfer").addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { centre: $("#transfer-centre").value, counsellor: $("#transfer-counsellor").value };
    act("transfer", body, "Transferred.").then(() => { $("#transfer-box").open = false; });
  });
  $("#labels-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act("labels", { labels: $("#labels").value.split(",") }, "Labels saved.");
  });
  $("#canned").addEventListener("change", () => {
    const reply = (state.canned[state.caseData.language] || [])[Number($("#canned").value)];
    if (reply) $("#text").value = reply.text.replaceAll("{centre}", state.caseData.centre_name);
    $("#canned").value = "";
    $("#text").focus();
  });
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => {
      const note = radio.value === "note" && radio.checked;
      $("#compose").classList.toggle("noting", note);
      $("#text").placeholder = note ? "A private note for colleagues (never sent)…" : "Write a reply… (Ctrl+Enter sends)";
      $("#send").textContent = note ? "Save note" : "Send";
      $("#send").disabled = !note && !(state.caseData && state.caseData.mine);
    });
  }
  $("#compose").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("#text").value.trim();
    if (!text) return;
    const mode = $("input[name=mode]:checked").value;
    const result = await act(mode === "note" ? "note" : "reply", { text }, mode === "note" ? "Note saved." : "Sent.");
    if (result) $("#text").value = "";
  });
  $("#text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("#compose").requestSubmit();
  });
  window.addEventListener("hashchange", route);
  await loadQueue();
  await route();
  listen();
  setInterval(() => loadQueue().catch(() => {}), 60_000);  // waiting times move on
  setInterval(() => { if (state.caseData && state.caseData.mine && state.caseData.state !== "closed") api(`/inbox/api/cases/${state.current}/claim`, {}).catch(() => {}); }, 120_000);
}

async function route() {
  const match = location.hash.match(/^#case\/([A-Za-z0-9]+)$/);
  if (match) await openCase(match[1]);
}

start().catch((error) => toast(error.message, true));
