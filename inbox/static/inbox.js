// The counsellors' inbox: queue, case view and actions, live through server-sent events. No build step.
// Every text from a user or a colleague is put in the page with textContent, never as markup.
// Every text of our own is in inbox/locales/{language}.json, looked up with t(key) or named in the page by
// data-i18n (data-i18n-placeholder, -title, -aria-label); internal values are shown through them too.
"use strict";

const state = { me: null, csrf: "", current: null, centres: [], cases: [], canned: {}, names: {}, filter: "all", search: null, sla: { amber: 15, red: 60 }, alerted: {} };
const $ = (sel) => document.querySelector(sel);
const words = { texts: {}, language: "ro", intl: "ro-RO" };
const EVENT_KEYS = { "safety alert: the hotline was sent": "safety_alert" };

// Texts ------------------------------------------------------------------------------------------------------

function lookup(key) {
  let found = words.texts;
  for (const part of key.split(".")) found = found && typeof found === "object" ? found[part] : undefined;
  return typeof found === "string" ? found : undefined;
}

function t(key, params = {}) {
  const found = lookup(key);
  if (found === undefined) return key;
  return found.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}

// An internal value (a topic, a country, a state...) as a word: its label, else the value itself.
function word(group, value) {
  if (!value) return "";
  return lookup(`${group}.${value}`) ?? value;
}

function nameOf(username) {
  return state.names[username] || username;
}

async function loadTexts(language) {
  const response = await fetch(`/inbox/locales/${encodeURIComponent(language)}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`locale ${language}: ${response.status}`);
  words.texts = await response.json();
  words.language = language;
  words.intl = words.texts.meta.intl;
  document.documentElement.lang = language;
}

function translatePage() {
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of document.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
  for (const node of document.querySelectorAll("[data-i18n-aria-label]")) node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
  const ideas = t("labels.ideas").split(",").map((idea) => el("option", { value: idea.trim() }));
  $("#label-ideas").replaceChildren(...ideas);
  document.body.classList.remove("loading");
}

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
    const error = new Error(refusal(response.status, data));
    error.status = response.status;
    throw error;
  }
  return data;
}

// Why the server refused, in the counsellor's language: its `code` (errors.*), else by the status.
function refusal(status, data) {
  if (data.code && lookup(`errors.${data.code}`) !== undefined) return t(`errors.${data.code}`, data.params || {});
  if (status === 403) return t("errors.forbidden");
  if (status === 422) return t("errors.invalid");
  return t("errors.generic", { status });
}

function minutes(seconds) {
  if (seconds < 60) return t("time.under_minute");
  if (seconds < 3600) return t("time.minutes", { m: Math.floor(seconds / 60) });
  return t("time.hours", { h: Math.floor(seconds / 3600), m: Math.floor((seconds % 3600) / 60) });
}

function clock(at) {
  const format = new Intl.DateTimeFormat(words.intl, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  return format.format(new Date(at * 1000));
}

function centreName(id) {
  return (state.centres.find((c) => c.id === id) || { name: id }).name;
}

// What the person sent: a button's payload ("/greet", "/rights_unpaid_wages") as words, their text as it is.
function personText(text) {
  const payload = /^\/([a-z_]+)(\{.*\})?$/.exec(text.trim());
  if (!payload) return text;
  if (payload[1] === "greet") return t("timeline.started");
  return t("timeline.pressed", { label: word("topics", payload[1]) });
}

function topicOf(c) {
  return c.topic ? word("topics", c.topic) : "";
}

// Queue ------------------------------------------------------------------------------------------------------

// How long the person has waited for an answer, coloured by the centre's SLA (INBOX_SLA_*_MINUTES).
function slaOf(c) {
  if (c.state === "closed") return null;
  if (c.waiting_since == null) return el("span", { class: "sla", text: t("queue.answered") });
  const waited = Math.max(0, Date.now() / 1000 - c.waiting_since);
  const colour = waited < state.sla.amber * 60 ? "green" : waited < state.sla.red * 60 ? "amber" : "red";
  return el("span", { class: `sla ${colour}`, "data-sla": colour, text: t("queue.unanswered", { time: minutes(waited) }) });
}

function caseItem(c) {
  const owner = c.holder || c.assignee;
  const where = [c.origin ? t("queue.from", { place: c.origin }) : "", c.country ? t("queue.in_country", { country: word("countries", c.country) }) : ""];
  const unread = c.unread > 0 && c.assignee === state.me.username;
  const item = el(
    "li",
    { class: `item${c.urgent ? " urgent" : ""}${unread ? " unread" : ""}${state.current === c.id ? " selected" : ""}`, "data-case": c.id },
    el(
      "a",
      { href: `#case/${c.id}`, class: "item-link" },
      el("span", { class: "badges" },
        c.urgent ? el("span", { class: "badge urgent", text: t("queue.urgent_badge") }) : null,
        unread ? el("span", { class: "badge unread", text: t("queue.unread", { count: c.unread }) }) : null,
        el("span", { class: "badge", text: word("languages", c.language) }),
        el("span", { class: "badge", text: word("channels", c.channel) }),
        ...(c.labels || []).map((label) => el("span", { class: "badge label", text: label }))),
      el("span", { class: "reason", text: word("reasons", c.reason) }),
      c.last_text ? el("span", { class: "last", text: personText(c.last_text) }) : null,
      el("span", { class: "meta", text: [c.centre_name, topicOf(c), ...where].filter(Boolean).join(" · ") }),
      el("span", { class: "wait", text: c.state === "closed" ? word("states", c.state) : c.state === "waiting" ? t("queue.waiting", { time: minutes(Date.now() / 1000 - c.created_at) }) : t("queue.claimed_by", { name: nameOf(owner) }) }),
      slaOf(c),
    ),
  );
  return item;
}

function shown(cases) {
  if (state.filter === "mine") return cases.filter((c) => c.assignee === state.me.username && c.state !== "waiting");
  if (state.filter === "unclaimed") return cases.filter((c) => c.state === "waiting");
  return cases;
}

function drawQueue() {
  const list = state.search ? state.search : shown(state.cases);
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#queue .item");
  $("#queue").replaceChildren(...list.map(caseItem));
  if (focused) {  // a live redraw keeps the keyboard's place
    const again = document.querySelector(`#queue .item[data-case="${focused.dataset.case}"] a`);
    if (again) again.focus();
  }
  $("#queue-empty").hidden = list.length > 0 || state.search !== null;
  $("#search-count").hidden = state.search === null;
  if (state.search) $("#search-count").textContent = t("queue.search_results", { count: state.search.length });
  $("#search-clear").hidden = state.search === null;
  $("#queue-tabs").hidden = state.search !== null;
  for (const tab of document.querySelectorAll(".qtab")) tab.setAttribute("aria-pressed", String(tab.dataset.filter === state.filter));
}

async function runSearch(query) {
  if (!query.trim()) return clearSearch();
  const data = await api(`/inbox/api/search?q=${encodeURIComponent(query.trim())}`);
  Object.assign(state.names, data.names || {});
  state.search = data.cases;
  drawQueue();
}

function clearSearch() {
  state.search = null;
  $("#search-q").value = "";
  drawQueue();
}

async function loadQueue() {
  const centre = $("#centre-filter").value;
  const data = await api(`/inbox/api/queue${centre ? "?centre=" + encodeURIComponent(centre) : ""}`);
  state.cases = data.cases;
  if (data.sla_minutes) state.sla = data.sla_minutes;
  Object.assign(state.names, data.names || {});
  drawQueue();
  if (data.overflow) {  // supervisors: the cases nobody claimed in time come first, above the queue
    $("#overflow-box").hidden = false;
    $("#overflow").replaceChildren(...data.overflow.map(caseItem));
    $("#overflow-empty").hidden = data.overflow.length > 0;
    $("#overflow-count").hidden = data.overflow.length === 0;
    $("#overflow-count").textContent = t("queue.overflow_count", { count: data.overflow.length });
  }
  const waiting = data.cases.filter((c) => c.state === "waiting").length;
  const urgent = data.cases.filter((c) => c.urgent && c.state === "waiting");
  $("#urgent").hidden = urgent.length === 0;
  if (urgent.length) {
    const params = { count: urgent.length, centre: urgent[0].centre_name, time: minutes(Date.now() / 1000 - urgent[0].created_at) };
    $("#urgent").textContent = t(urgent.length > 1 ? "queue.urgent_banner_many" : "queue.urgent_banner_one", params);
    $("#urgent").href = `#case/${urgent[0].id}`;
  }
  // The person wrote on one of my cases (not the one open on screen): the title says so first.
  const unread = data.cases.filter((c) => c.assignee === state.me.username && c.unread > 0 && c.id !== state.current)
    .reduce((sum, c) => sum + c.unread, 0);
  if (unread) document.title = t("app.title_unread", { count: unread });
  else document.title = waiting ? t("app.title_waiting", { count: waiting }) : t("app.title");
}

// Case view ---------------------------------------------------------------------------------------------------

function fact(name, value) {
  return [el("dt", { text: name }), el("dd", { text: value || "—" })];
}

function timelineEntry(entry) {
  const when = el("time", { datetime: new Date(entry.at * 1000).toISOString(), text: clock(entry.at) });
  if (entry.kind === "event") {
    let line = word("events", EVENT_KEYS[entry.text] || entry.text);
    if (entry.reason) line = `${line} (${word("reasons", entry.reason)})`;
    if (entry.by) line = t("timeline.by", { event: line, name: nameOf(entry.by) });
    if (entry.why) line = t("timeline.why", { event: line, why: entry.why });
    const [kind, ...rest] = (entry.to || "").split(" ");
    let target = entry.centre ? centreName(entry.centre) : "";
    if (kind === "counsellor") target = nameOf(rest.join(" "));
    else if (kind === "centre") target = centreName(rest.join(" "));
    else if (entry.to === "supervisors") target = t("timeline.supervisors");  // on call: every supervisor
    else if (entry.to) target = nameOf(entry.to);
    if (target) line = t("timeline.to", { event: line, target });
    return el("li", { class: "event" }, el("span", { text: line }), when);
  }
  const labels = {
    user: t("timeline.person"),
    bot: t("timeline.bot"),
    counsellor: entry.by ? nameOf(entry.by) : t("timeline.counsellor"),
    note: t("timeline.note", { name: nameOf(entry.by || "") }),
  };
  let body = entry.text;
  if (entry.kind === "user") body = personText(entry.text);
  if (entry.kind === "counsellor" && /^\[template [^\]]*\]$/.test(entry.text)) body = t("timeline.template");
  return el(
    "li",
    { class: `msg ${entry.kind}${entry.before_handoff ? " before" : ""}` },
    el("span", { class: "who", text: labels[entry.kind] || entry.kind }),
    el("p", { text: body }),
    when,
  );
}

async function openCase(id, live = false) {
  state.current = id;
  let c;
  try {
    c = await api(`/inbox/api/cases/${encodeURIComponent(id)}`);
    if (state.current !== id) return;  // another case was opened meanwhile (j/k pressed quickly)
  } catch (error) {
    if (live) {  // it left my sight (a transfer): back to the queue, silently
      if (state.current === id) closeCase();
      return;
    }
    $("#case-pane").hidden = false;
    $("#case-title").textContent = error.status === 403 ? t("case.not_your_centre") : t("case.not_found");
    $("#case-facts").replaceChildren();
    $("#timeline").replaceChildren();
    // Nothing this account may do here: no actions, a disabled composer saying why.
    for (const sel of ["#claim", "#transfer-box", "#close-box", "#handback", "#labels-form", "#window"]) $(sel).hidden = true;
    $("#owner").textContent = "";
    $("#compose").hidden = false;
    for (const field of $("#compose").querySelectorAll("textarea, select, button, input")) field.disabled = true;
    $("#compose-blocked").hidden = error.status !== 403;
    document.body.classList.add("reading");
    toast(error.message, true);
    return;
  }
  document.body.classList.add("reading");
  $("#case-pane").hidden = false;
  $("#case-pane").dataset.state = c.state;
  $("#compose-blocked").hidden = true;
  for (const field of $("#compose").querySelectorAll("textarea, select, input")) field.disabled = false;
  $("#case-pane").dataset.case = c.id;
  Object.assign(state.names, c.names || {});
  const reason = word("reasons", c.reason);
  $("#case-title").textContent = c.urgent ? t("case.urgent_prefix", { reason }) : reason;
  const userFact = fact(t("case.person"), c.user);
  if (c.state !== "closed" && c.has_number) {
    userFact[1].append(" ", el("button", { type: "button", class: "link", id: "reveal", text: t("case.show_number"), onclick: reveal }));
  }
  $("#case-facts").replaceChildren(
    ...fact(t("case.topic"), topicOf(c)),
    ...fact(t("case.language"), word("languages", c.language)),
    ...fact(t("case.channel"), word("channels", c.channel)),
    ...fact(t("case.country"), word("countries", c.country)),
    ...fact(t("case.origin"), c.origin),
    ...fact(t("case.centre"), c.centre_name),
    ...userFact,
    ...fact(t("case.opened"), clock(c.created_at)),
    ...fact(t("case.state"), c.state === "closed" ? t("case.closed_with", { outcome: word("outcomes", c.outcome) }) : word("states", c.state)),
  );
  const owner = c.holder || c.assignee;
  $("#owner").textContent = c.state === "closed" ? "" : owner ? (c.mine ? t("case.mine") : t("case.claimed_by", { name: nameOf(owner) })) : t("case.unclaimed");
  $("#owner").className = `owner${c.mine ? " mine" : owner ? " other" : ""}`;
  const open = c.state !== "closed";
  $("#claim").hidden = !open || c.mine;
  $("#claim").textContent = owner && !c.mine ? t("actions.claim_held", { name: nameOf(owner) }) : t("actions.claim");
  for (const sel of ["#transfer-box", "#close-box", "#handback", "#compose", "#labels-form"]) $(sel).hidden = !open;
  $("#window").hidden = c.window_open !== false;
  $("#template").disabled = !c.template_ready || !c.mine;
  $("#template").textContent = c.template_ready ? t("actions.template") : t("actions.no_template");
  $("#send").disabled = !c.mine && $("input[name=mode]:checked").value === "reply";
  $("#timeline").replaceChildren(...c.timeline.map(timelineEntry));
  $("#timeline").scrollTop = $("#timeline").scrollHeight;
  drawPinned(c.urgent_message);
  drawEarlier(c);
  // A live refresh does not overwrite labels being typed.
  if (document.activeElement !== $("#labels") || $("#labels").dataset.case !== c.id) $("#labels").value = c.labels.join(", ");
  $("#labels").dataset.case = c.id;
  state.caseData = c;
  await loadCanned(c.language);
  await loadCounsellors(c.centre);
  for (const item of document.querySelectorAll(".item")) item.classList.toggle("selected", item.dataset.case === id);
}

// The person's message that made the case urgent, pinned above the conversation.
function drawPinned(message) {
  $("#pinned").hidden = !message;
  if (!message) return;
  $("#pinned-text").textContent = personText(message.text);
  $("#pinned-at").textContent = message.at ? clock(message.at) : "";
  if (message.at) $("#pinned-at").setAttribute("datetime", new Date(message.at * 1000).toISOString());
}

// The person's earlier cases (this conversation, and the same number on a linked channel): those of the
// centres this account may see, as links; how many more are elsewhere.
function drawEarlier(c) {
  const earlier = c.earlier || [];
  const items = earlier.map((e) => {
    const state = e.state === "closed" ? t("case.closed_with", { outcome: word("outcomes", e.outcome) }) : t("case.earlier_open");
    const line = t("case.earlier_line", { date: clock(e.created_at), reason: word("reasons", e.reason), centre: e.centre_name, state });
    return el("li", { "data-case": e.id }, el("a", { href: `#case/${e.id}`, text: line }), e.topic ? el("span", { class: "meta", text: ` · ${topicOf(e)}` }) : null);
  });
  $("#earlier").replaceChildren(...items);
  $("#earlier-count").textContent = String(earlier.length + (c.earlier_elsewhere || 0));
  $("#earlier-none").hidden = earlier.length > 0 || c.earlier_elsewhere > 0;
  $("#earlier-elsewhere").hidden = !c.earlier_elsewhere;
  $("#earlier-elsewhere").textContent = c.earlier_elsewhere ? t("case.earlier_elsewhere", { count: c.earlier_elsewhere }) : "";
}

async function loadCanned(language) {
  if (!state.canned[language]) state.canned[language] = (await api(`/inbox/api/canned?language=${language}`)).replies;
  const options = state.canned[language].map((r, i) => el("option", { value: String(i), text: r.title }));
  $("#canned").replaceChildren(el("option", { value: "", text: t("compose.canned_choose") }), ...options);
}

async function loadCounsellors(centre) {
  const data = await api(`/inbox/api/counsellors?centre=${encodeURIComponent(centre)}`);
  const options = data.counsellors
    .filter((p) => p.username !== state.me.username)
    .map((p) => el("option", { value: p.username, text: p.name && p.name !== p.username ? `${p.name} (${p.username})` : p.username }));
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
    toast(t("case.number_shown"));
  } catch (error) {
    toast(error.message, true);
  }
}

// Figures and accounts ----------------------------------------------------------------------------------------

function figureTable(title, rows) {
  const heads = ["", t("figures.cases"), t("figures.waiting"), t("figures.overflow"), t("figures.first_response"), t("figures.to_close")];
  const head = el("tr", {}, ...heads.map((h) => el("th", { text: h })));
  const body = Object.entries(rows).map(([name, f]) =>
    el("tr", {},
      el("th", { text: name }),
      el("td", { text: String(f.cases) }),
      el("td", { text: String(f.waiting) }),
      el("td", { text: String(f.overflow) }),
      el("td", { text: f.median_first_response_seconds == null ? t("figures.none") : minutes(f.median_first_response_seconds) }),
      el("td", { text: f.median_close_seconds == null ? t("figures.none") : minutes(f.median_close_seconds) })));
  return el("section", {}, el("h3", { text: title }), el("table", { class: "table" }, el("thead", {}, head), el("tbody", {}, ...body)));
}

// The period of the figures: today (since the browser's midnight) or the last 7, 30 or 90 days.
function figuresQuery() {
  const period = $("#figures-period").value;
  if (period !== "today") return `days=${encodeURIComponent(period)}`;
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  return `since=${Math.floor(midnight.getTime() / 1000)}`;
}

async function loadFigures() {
  const f = await api(`/inbox/api/figures?${figuresQuery()}`);
  $("#figures-shown").textContent = t("figures.shown", { period: t(`figures.periods.${$("#figures-period").value}`) });
  const names = Object.fromEntries(state.centres.map((c) => [c.id, c.name]));
  const relabel = (rows, label) => Object.fromEntries(Object.entries(rows).map(([k, v]) => [k === "-" ? t("figures.unknown") : label(k), v]));
  const byCentre = relabel(f.by_centre, (k) => names[k] || k);
  const byLanguage = relabel(f.by_language, (k) => word("languages", k));
  const byTopic = relabel(f.by_topic, (k) => lookup(`topics.${k}`) ?? word("reasons", k));
  const dutyName = (centre) => (centre === "all centres" ? t("figures.all_centres") : names[centre] || centre);
  const duty = Object.entries(f.on_duty).map(([centre, people]) => el("li", { text: `${dutyName(centre)}: ${people.join(", ")}` }));
  $("#figures").replaceChildren(
    el("section", { id: "on-duty" }, el("h3", { text: t("figures.on_duty") }),
      duty.length ? el("ul", {}, ...duty) : el("p", { class: "empty", text: t("figures.nobody") })),
    figureTable(t("figures.all"), { [t("figures.total")]: f.total }),
    figureTable(t("figures.by_centre"), byCentre),
    figureTable(t("figures.by_language"), byLanguage),
    figureTable(t("figures.by_topic"), byTopic),
  );
}

async function loadAccounts() {
  const data = await api("/inbox/api/users");
  const rows = data.users.map((u) =>
    el("tr", {},
      el("td", { text: u.username }), el("td", { text: u.name }), el("td", { text: word("roles", u.role) }),
      el("td", { text: u.centre ? centreName(u.centre) : "—" }), el("td", { text: word("languages", u.language) }),
      el("td", {}, el("button", {
        type: "button", class: "quiet", text: u.active ? t("accounts.disable") : t("accounts.enable"),
        onclick: async () => {
          try { await api(`/inbox/api/users/${encodeURIComponent(u.username)}/active`, { active: !u.active }); await loadAccounts(); }
          catch (error) { toast(error.message, true); }
        },
      }))));
  $("#users tbody").replaceChildren(...rows);
  const centres = (await api("/inbox/api/centres")).centres.map((c) => {
    const params = {
      name: c.name, id: c.id, open: c.open_now ? t("accounts.open_now") : t("accounts.closed_now"),
      languages: c.languages.map((l) => word("languages", l)).join(", "),
      hours: (c.hours.mon || []).join(", ") || t("accounts.closed_day"),
    };
    return el("li", { text: t(c.default ? "accounts.centre_line_default" : "accounts.centre_line", params) });
  });
  $("#centres").replaceChildren(el("ul", {}, ...centres));
}

// The audit log (supervisors): filtered by action, account and case, a page at a time, newest first.
const audit = { pages: [""], filled: false };

function auditFilters() {
  audit.filled = false;  // the accounts' "any" in the page's language again
  const actions = Object.keys(words.texts.audit.actions);
  const chosen = $("#audit-action").value;
  $("#audit-action").replaceChildren(el("option", { value: "", text: t("audit.any") }),
    ...actions.map((a) => el("option", { value: a, text: t(`audit.actions.${a}`) })));
  $("#audit-action").value = chosen;
}

function auditDetail(entry) {
  const [kind, ...rest] = entry.detail.split(" ");
  if (entry.action === "transfer" && kind === "centre") return t("timeline.to", { event: "", target: centreName(rest.join(" ")) }).trim();
  if (entry.action === "transfer" && kind === "counsellor") return t("timeline.to", { event: "", target: nameOf(rest.join(" ")) }).trim();
  if (["close", "hand_back"].includes(entry.action)) return word("outcomes", entry.detail);
  if (entry.action === "language") return word("languages", entry.detail);
  return entry.detail;
}

async function loadAudit(page = 0) {
  const params = new URLSearchParams();
  for (const [name, sel] of [["action", "#audit-action"], ["actor", "#audit-actor"], ["case", "#audit-case"]]) {
    const value = $(sel).value.trim();
    if (value) params.set(name, value);
  }
  if (audit.pages[page]) params.set("before", audit.pages[page]);
  const asked = (audit.asked = (audit.asked || 0) + 1);
  const data = await api(`/inbox/api/audit?${params}`);
  if (asked !== audit.asked) return;  // a newer filter or page was asked for meanwhile
  Object.assign(state.names, data.names || {});
  if (!audit.filled) {  // the accounts to filter by: everyone the log may name
    const chosen = $("#audit-actor").value;
    const people = Object.entries(state.names).sort((a, b) => a[1].localeCompare(b[1]));
    $("#audit-actor").replaceChildren(el("option", { value: "", text: t("audit.any") }),
      ...people.map(([username, name]) => el("option", { value: username, text: name === username ? name : `${name} (${username})` })));
    $("#audit-actor").value = chosen;
    audit.filled = true;
  }
  audit.page = page;
  audit.pages[page + 1] = data.next || "";
  const rows = data.entries.map((entry) => el("tr", { "data-action": entry.action },
    el("td", {}, el("time", { datetime: new Date(Number(entry.at) * 1000).toISOString(), text: clock(Number(entry.at)) })),
    el("td", { text: nameOf(entry.actor) }),
    el("td", { text: lookup(`audit.actions.${entry.action}`) ?? entry.action }),
    el("td", {}, entry.case ? el("a", { href: `#case/${entry.case}`, class: "audit-case", text: entry.case }) : ""),
    el("td", { text: auditDetail(entry) }),
    el("td", { text: entry.address })));
  $("#audit tbody").replaceChildren(...rows);
  $("#audit-empty").hidden = rows.length > 0;
  $("#audit-older").disabled = !data.next;
  $("#audit-newest").disabled = page === 0;
  $("#audit-page").textContent = t("audit.page", { page: page + 1 });
}

function show(view) {
  for (const name of ["queue", "figures", "audit", "accounts"]) {
    $(`#view-${name}`).hidden = name !== view;
    document.querySelector(`.tab[data-view=${name}]`).setAttribute("aria-current", name === view ? "page" : "false");
  }
  if (view === "figures") loadFigures().catch((e) => toast(e.message, true));
  if (view === "audit") { auditFilters(); loadAudit(audit.page || 0).catch((e) => toast(e.message, true)); }
  if (view === "accounts") loadAccounts().catch((e) => toast(e.message, true));
}

// Alerts: a short beep (WebAudio, no file) and a desktop notification (no personal data in it) --------------------

const alerts = { audio: null };

function beep() {
  try {
    alerts.audio = alerts.audio || new AudioContext();
    const osc = alerts.audio.createOscillator();
    const gain = alerts.audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(alerts.audio.destination);
    osc.start();
    osc.stop(alerts.audio.currentTime + 0.18);
  } catch (error) { /* no sound on this browser */ }
}

function notify(kind, c) {
  beep();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const body = c ? t("alerts.body", { reason: word("reasons", c.reason), centre: c.centre_name }) : "";
  const note = new Notification(t(`alerts.${kind}`), { body, tag: c ? `${kind}-${c.id}` : kind });
  note.onclick = () => { window.focus(); if (c) location.hash = `#case/${c.id}`; };
}

// The permission is asked once, on the counsellor's click (browsers refuse it otherwise); the click also lets
// the page play sounds.
function alertsButton() {
  const button = $("#alerts");
  button.hidden = !("Notification" in window) || Notification.permission !== "default";
  button.onclick = async () => {
    alerts.audio = alerts.audio || new AudioContext();
    await Notification.requestPermission().catch(() => "denied");
    button.hidden = true;
    if (Notification.permission === "granted") toast(t("alerts.enabled"));
  };
}

// Live updates ------------------------------------------------------------------------------------------------

function listen() {
  const source = new EventSource("/inbox/api/events");
  const refresh = async (event) => {
    const data = JSON.parse(event.data);
    if (event.type === "case_new") toast(data.urgent ? t("queue.new_urgent_case") : t("queue.new_case"));
    if (event.type === "case_on_call") toast(t("queue.on_call"), true);
    const unreadBefore = (state.cases.find((c) => c.id === data.case) || {}).unread || 0;
    const onScreen = state.current === data.case && !document.hidden;
    if (state.current === data.case) await openCase(data.case, true);  // first: what is on screen is read
    await loadQueue();
    const c = state.cases.find((item) => item.id === data.case);
    if (event.type === "case_new") notify(data.urgent ? "urgent_case" : "new_case", c);
    else if (event.type === "case_updated" && data.urgent && c && c.urgent && c.state === "waiting" && !state.alerted[c.id]) notify("urgent_case", c);
    else if (event.type === "case_message" && c && c.assignee === state.me.username && !onScreen && c.unread > unreadBefore) notify("new_message", c);
    if (c && c.urgent) state.alerted[c.id] = true;
  };
  for (const type of ["case_new", "case_message", "case_claimed", "case_updated", "case_overflow", "case_on_call"]) {
    source.addEventListener(type, (e) => refresh(e).catch(() => {}));
  }
  source.onopen = () => { $("#live").dataset.i18n = "app.live"; $("#live").textContent = t("app.live"); $("#live").className = "live on"; loadQueue().catch(() => {}); };
  source.onerror = () => { $("#live").dataset.i18n = "app.reconnecting"; $("#live").textContent = t("app.reconnecting"); $("#live").className = "live"; };
}

// Start ---------------------------------------------------------------------------------------------------------

function showWho() {
  const params = { name: state.me.name, role: word("roles", state.me.role), centre: centreName(state.me.centre) };
  $("#who").textContent = t(state.me.centre ? "app.who_centre" : "app.who", params);
}

function languageSwitch() {
  const buttons = state.me.languages.map((language) => el("button", {
    type: "button", class: "quiet lang", lang: language, "data-language": language,
    "aria-pressed": String(language === words.language), text: language.toUpperCase(),
    title: word("languages", language),
    onclick: () => chooseLanguage(language).catch((error) => toast(error.message, true)),
  }));
  $("#ui-language").replaceChildren(...buttons);
  $("#nu-language").replaceChildren(...state.me.languages.map((l) => el("option", { value: l, text: word("languages", l) })));
}

// The counsellor's choice of language: kept on the account, the page redrawn in it at once.
async function chooseLanguage(language) {
  if (language === words.language) return;
  await api("/inbox/api/me/language", { language });
  state.me.language = language;
  await loadTexts(language);
  translatePage();
  showWho();
  languageSwitch();
  toast(t("app.language_saved"));
  const everyCentre = $("#centre-filter").options[0];
  if (everyCentre) everyCentre.textContent = t("queue.all_centres");
  const view = document.querySelector(".tab[aria-current=page]");
  if (view && view.dataset.view !== "queue") show(view.dataset.view);
  else if (state.me.role !== "admin") {
    await loadQueue();
    if (state.current) await openCase(state.current);
  }
}

async function start() {
  state.me = await api("/inbox/api/me");
  await loadTexts(state.me.language || "ro");
  translatePage();
  state.csrf = state.me.csrf;
  state.centres = state.me.centres;
  $("#logout input[name=csrf]").value = state.csrf;
  showWho();
  languageSwitch();
  const centreOptions = () => state.centres.map((c) => el("option", { value: c.id, text: c.name }));
  $("#transfer-centre").replaceChildren(el("option", { value: "", text: "—" }), ...centreOptions());
  $("#nu-centre").replaceChildren(el("option", { value: "", text: "—" }), ...centreOptions());
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
  const supervisor = state.me.role === "supervisor";
  document.querySelector(".tab[data-view=figures]").hidden = !supervisor;
  document.querySelector(".tab[data-view=audit]").hidden = !supervisor;
  $("#figures-period").addEventListener("change", () => loadFigures().catch((e) => toast(e.message, true)));
  $("#audit-filter").addEventListener("submit", (e) => { e.preventDefault(); audit.pages = [""]; loadAudit(0).catch((error) => toast(error.message, true)); });
  $("#audit-reset").addEventListener("click", () => {
    $("#audit-filter").reset();
    audit.pages = [""];
    loadAudit(0).catch((error) => toast(error.message, true));
  });
  $("#audit-older").addEventListener("click", () => loadAudit(audit.page + 1).catch((e) => toast(e.message, true)));
  $("#audit-newest").addEventListener("click", () => loadAudit(0).catch((e) => toast(e.message, true)));
  document.querySelector(".tab[data-view=accounts]").hidden = state.me.role !== "admin";
  if (supervisor) {
    $("#centre-filter").hidden = false;
    $("#centre-filter").replaceChildren(el("option", { value: "", text: t("queue.all_centres") }), ...centreOptions());
    $("#centre-filter").addEventListener("change", () => loadQueue());
  }
  $("#add-user").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      username: $("#nu-username").value.trim(), name: $("#nu-name").value.trim(), role: $("#nu-role").value,
      centre: $("#nu-centre").value, language: $("#nu-language").value, password: $("#nu-password").value,
    };
    try {
      await api("/inbox/api/users", body);
      toast(t("accounts.created"));
      $("#add-user").reset();
      await loadAccounts();
    } catch (error) {
      toast(error.message, true);
    }
  });
  if (state.me.role === "admin") {
    $("#view-queue").hidden = true;
    document.querySelector(".tab[data-view=queue]").hidden = true;
    show("accounts");
    return;
  }
  $("#back").addEventListener("click", closeCase);
  for (const tab of document.querySelectorAll(".qtab")) tab.addEventListener("click", () => { state.filter = tab.dataset.filter; drawQueue(); });
  $("#search").addEventListener("submit", (e) => { e.preventDefault(); runSearch($("#search-q").value).catch((error) => toast(error.message, true)); });
  $("#search-clear").addEventListener("click", clearSearch);
  $("#claim").addEventListener("click", () => act("claim", {}, t("actions.claimed")));
  $("#handback").addEventListener("click", () => {
    if (confirm(t("actions.handback_confirm"))) act("handback", {}, t("actions.handed_back")).then(() => closeCase());
  });
  $("#template").addEventListener("click", () => act("template", {}, t("actions.template_sent")));
  $("#close").addEventListener("submit", (e) => {
    e.preventDefault();
    act("close", { outcome: $("#outcome").value }, t("actions.closed")).then(() => closeCase());
  });
  $("#transfer").addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { centre: $("#transfer-centre").value, counsellor: $("#transfer-counsellor").value, reason: $("#transfer-reason").value.trim() };
    const target = body.counsellor ? nameOf(body.counsellor) : centreName(body.centre);
    // The case may now be out of this counsellor's sight: confirm and go back to the queue, do not reopen it.
    api(`/inbox/api/cases/${encodeURIComponent(state.current)}/transfer`, body).then(async () => {
      $("#transfer-box").open = false;
      $("#transfer").reset();
      toast(t("actions.transferred_to", { target }));
      if (body.centre && body.centre !== state.caseData.centre && state.me.role !== "supervisor") closeCase();
      else await openCase(state.current);
      await loadQueue();
    }).catch((error) => toast(error.message, true));
  });
  $("#labels-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act("labels", { labels: $("#labels").value.split(",") }, t("labels.saved"));
  });
  $("#canned").addEventListener("change", () => {
    const reply = (state.canned[state.caseData.language] || [])[Number($("#canned").value)];
    if (reply) $("#text").value = reply.text.replaceAll("{centre}", state.caseData.centre_name);
    $("#canned").value = "";
    $("#text").focus();
  });
  document.addEventListener("keydown", shortcut);
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => {
      const note = radio.value === "note" && radio.checked;
      $("#compose").classList.toggle("noting", note);
      $("#text").dataset.i18nPlaceholder = note ? "compose.note_placeholder" : "compose.reply_placeholder";
      $("#text").placeholder = t($("#text").dataset.i18nPlaceholder);
      $("#send").dataset.i18n = note ? "compose.save_note" : "compose.send";
      $("#send").textContent = t($("#send").dataset.i18n);
      $("#send").disabled = !note && !(state.caseData && state.caseData.mine);
    });
  }
  $("#compose").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("#text").value.trim();
    if (!text) return;
    const mode = $("input[name=mode]:checked").value;
    const result = await act(mode === "note" ? "note" : "reply", { text }, mode === "note" ? t("compose.note_saved") : t("compose.sent"));
    if (result) $("#text").value = "";
    if (result && mode === "note") setMode("reply");  // a note is an aside: the next words are a reply
  });
  $("#text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("#compose").requestSubmit();
  });
  window.addEventListener("hashchange", route);
  // Closing the tab takes its owner off duty at once (the event stream's heartbeat would take up to 30 s).
  window.addEventListener("pagehide", () => {
    navigator.sendBeacon("/inbox/api/presence/leave", new URLSearchParams({ csrf: state.csrf }));
  });
  alertsButton();
  await loadQueue();
  await route();
  listen();
  setInterval(() => loadQueue().catch(() => {}), 60_000);  // waiting times move on
  // Figures open: who is on duty changes as colleagues open and close the inbox (presence is fresh for 30 s)
  setInterval(() => { if (!$("#view-figures").hidden && !document.hidden) loadFigures().catch(() => {}); }, 15_000);
  setInterval(() => { if (state.caseData && state.caseData.mine && state.caseData.state !== "closed") api(`/inbox/api/cases/${state.current}/claim`, {}).catch(() => {}); }, 120_000);
}

async function route() {
  const match = location.hash.match(/^#case\/([A-Za-z0-9]+)$/);
  if (match) {
    if ($("#view-queue").hidden) show("queue");  // a case link of the audit log
    const before = document.activeElement;
    await openCase(match[1]);
    // The keyboard and the screen reader land in the case, unless the focus moved elsewhere meanwhile.
    if (document.activeElement === before) $("#case-title").focus();
  }
}

function setMode(mode) {
  const radio = document.querySelector(`input[name=mode][value=${mode}]`);
  radio.checked = true;
  radio.dispatchEvent(new Event("change"));
}

// Keyboard: j/k next/previous case, Esc back to the queue, / search, r reply, n note (not while typing).
function shortcut(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || $("#view-queue").hidden) return;
  const typing = e.target.closest && e.target.closest("input, textarea, select");
  if (e.key === "Escape") {
    if (typing) { e.target.blur(); return; }
    if (!state.current) return;
    const id = state.current;
    closeCase();
    const link = document.querySelector(`.item[data-case="${id}"] a`) || document.querySelector(".item a");
    if (link) link.focus();
    return;
  }
  if (typing) return;
  if (e.key === "/") {
    e.preventDefault();
    $("#search-q").focus();
  } else if (e.key === "j" || e.key === "k") {
    const ids = [...document.querySelectorAll("#queue .item")].map((item) => item.dataset.case);
    if (!ids.length) return;
    const at = ids.indexOf(state.current);
    const next = at < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, at + (e.key === "j" ? 1 : -1)));
    location.hash = `#case/${ids[next]}`;
  } else if ((e.key === "r" || e.key === "n") && state.current && !$("#compose").hidden) {
    e.preventDefault();
    setMode(e.key === "r" ? "reply" : "note");
    $("#text").focus();
  }
}

start().catch((error) => toast(error.message, true));
