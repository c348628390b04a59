// The heartbeat dashboard: a login view asking for an API key, then every monitor of
// GET /monitors in one table (#/), refreshed every 5 s in place (rows keyed by slug), with
// pause / unpause / delete, and badges for a snoozed or acknowledged monitor; a click on a
// monitor opens its page (#/monitors/<slug>, drawn by monitor.js); #/channels is the
// project's alert channels (channels.js). It keeps one key per project (GET /whoami names a key's project and
// role); a select in the header switches between them when there are several, and a
// read-only key is shown no button that writes. Plain DOM, no framework, no build step.
// The page is served with a strict Content-Security-Policy: nothing inline, nothing from
// elsewhere, and every piece of data goes into the page through textContent or
// attributes, never HTML.
"use strict";

(() => {
  // The saved keys, [{project, role, key}] by project, and the project last shown.
  const KEYS_STORAGE = "heartbeat.keys";
  const PROJECT_STORAGE = "heartbeat.project";
  const ROLES = new Set(["read-write", "read-only"]);
  const REFRESH_MS = 5000;
  const REQUEST_TIMEOUT_MS = 10000;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const { pad, utc, span, ago, scheduled, setting, expectation, snoozed } = window.HeartbeatWords;

  // Display statuses, worst first (the order of an ascending sort by status).
  const STATUS = {
    failed: { rank: 0, label: "failed", title: "The job reported failure" },
    overdue: { rank: 1, label: "overdue", title: "No ping since the deadline" },
    ok: { rank: 2, label: "ok", title: "Pinged in time" },
    paused: { rank: 3, label: "paused", title: "Paused: no alerts are sent" },
  };

  const state = {
    keys: [], // the saved keys: { project, role, key }, one per project, by project name
    key: null, // the key every call uses: the current project's
    project: null, // the current project
    readOnly: false, // the current key may only read: no button that writes is shown
    adding: false, // the login view adds another project's key (Cancel goes back)
    loaded: false, // a list arrived for the current key
    monitors: [], // the last list the server sent
    rows: new Map(), // slug -> row record (see createRow)
    sort: { key: "slug", dir: 1 },
    filterText: "",
    filterStatus: "all",
    timer: 0,
    generation: 0, // a newer refresh makes the answer of an older one stale
    refreshes: 0,
    problems: 0, // overdue and failed monitors in the last list, for the tab's title
    toastTimer: 0,
    route: { view: "list", slug: null },
    channelsKey: null, // the key the channels' page was opened with
  };

  const $ = (id) => document.getElementById(id);
  const ui = {};
  let page = null; // the monitor's page (monitor.js), made in init()
  let channels = null; // the channels' page (channels.js), made in init()

  // ---------------------------------------------------------------- formatting

  function displayStatus(m) {
    if (m.paused || m.status === "paused") return "paused";
    if (m.failed) return "failed";
    return m.status === "overdue" ? "overdue" : "ok";
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [name, value] of Object.entries(props)) {
        if (name === "class") node.className = value;
        else if (name === "text") node.textContent = value;
        else if (name === "dataset") Object.assign(node.dataset, value);
        else node.setAttribute(name, value);
      }
    }
    for (const child of children) node.append(child);
    return node;
  }

  // An SVG element: attributes only (no class/text/dataset shortcuts), then children.
  function svgEl(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    for (const child of children) node.append(child);
    return node;
  }

  function svg(viewBox, paths) {
    return svgEl("svg", { viewBox, width: 14, height: 14, "aria-hidden": "true", focusable: "false",
                          class: "icon" }, ...paths.map((attrs) => svgEl("path", attrs)));
  }

  // The status icons (✓ ⚠ ✗ ⏸) drawn as SVG, so that they look the same whatever fonts
  // the machine has.
  const stroke = { fill: "none", stroke: "currentColor", "stroke-width": "2",
                   "stroke-linecap": "round", "stroke-linejoin": "round" };
  const ICONS = {
    ok: () => svg("0 0 16 16", [{ ...stroke, d: "M3 8.5l3.2 3.2L13 4.8" }]),
    overdue: () => svg("0 0 16 16", [
      { ...stroke, "stroke-width": "1.6", d: "M8 1.9 14.6 13.6H1.4Z" },
      { ...stroke, "stroke-width": "1.8", d: "M8 6.2v3.4M8 11.6v.1" },
    ]),
    failed: () => svg("0 0 16 16", [{ ...stroke, "stroke-width": "2.2", d: "M4 4l8 8M12 4l-8 8" }]),
    paused: () => svg("0 0 16 16", [{ fill: "currentColor", d: "M4 3h2.6v10H4zM9.4 3H12v10H9.4z" }]),
    late: () => svg("0 0 16 16", [
      { ...stroke, "stroke-width": "1.6", d: "M8 2.2a5.8 5.8 0 1 0 0 11.6A5.8 5.8 0 0 0 8 2.2Z" },
      { ...stroke, "stroke-width": "1.6", d: "M8 4.8V8l2.2 1.6" },
    ]),
    running: () => svg("0 0 16 16", [{ fill: "currentColor", d: "M4.5 2.8v10.4L13 8Z" }]),
    log: () => svg("0 0 16 16", [
      { ...stroke, "stroke-width": "1.6", d: "M3.5 1.8h6l3 3v9.4h-9Z" },
      { ...stroke, "stroke-width": "1.4", d: "M5.8 8h4.4M5.8 10.8h4.4" },
    ]),
    // A bell with a stroke through it: alerts wait.
    snoozed: () => svg("0 0 16 16", [
      { ...stroke, "stroke-width": "1.5", d: "M4 11.5V7.5a4 4 0 0 1 8 0v4l1 1H3Z" },
      { ...stroke, "stroke-width": "1.5", d: "M6.6 14h2.8M2.5 2.5l11 11" },
    ]),
    // A check in a circle: someone has seen it, no more repeats until it recovers.
    acknowledged: () => svg("0 0 16 16", [
      { ...stroke, "stroke-width": "1.5", d: "M8 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2Z" },
      { ...stroke, "stroke-width": "1.7", d: "M5.4 8.2l1.8 1.8 3.5-3.6" },
    ]),
  };

  // A badge: an icon of ICONS and a word, coloured by its class (style.css).
  function badge(className, icon, text, title, dataset) {
    return el("span", { class: `badge ${className}`, title, dataset },
              el("span", { class: "badge-icon" }, ICONS[icon]()), el("span", { class: "badge-text", text }));
  }

  const statusBadge = (status) => badge(`badge-${status}`, status, STATUS[status].label, STATUS[status].title);

  // The badges after the status of a monitor: "late" between its deadline and alert_at,
  // "running 3 min" while a started run has not ended (red once past max_runtime),
  // "snoozed" while its alerts wait, "acknowledged" when someone has seen its alert.
  function extraBadges(m, now) {
    const out = [];
    if (snoozed(m, now)) {
      out.push(badge("badge-snoozed", "snoozed", "snoozed",
        `Alerts wait until ${utc(m.snoozed_until)}; a recovery is never held`, { badge: "snoozed" }));
    }
    if (m.acknowledged === true) {
      out.push(badge("badge-acknowledged", "acknowledged", "acknowledged",
        "Someone has seen its alert: no more repeats until it recovers", { badge: "acknowledged" }));
    }
    if (m.late === true && displayStatus(m) !== "paused") {
      out.push(badge("badge-late", "late", "late", Number.isFinite(m.alert_at)
        ? `Past its expected time; alerts at ${utc(m.alert_at)} unless a ping comes first`
        : "Past its expected time, within its grace", { badge: "late" }));
    }
    if (m.running === true) {
      const started = Number.isFinite(m.last_start) ? m.last_start : null;
      const ran = started === null ? null : now - started;
      const over = ran !== null && Number.isFinite(m.max_runtime_secs) && ran > m.max_runtime_secs;
      out.push(badge(`badge-running${over ? " badge-running-over" : ""}`, "running",
        ran === null ? "running" : `running ${span(ran)}`,
        started === null ? "A run has started and not ended"
          : `Started ${utc(started)}${over ? `: over its max run time of ${span(m.max_runtime_secs)}` : ""}`,
        { badge: "running" }));
    }
    return out;
  }

  // The badges' text, to skip redrawing them when nothing changed.
  const badgesKey = (badges) => badges.map((b) => `${b.className}|${b.textContent}|${b.title}`).join("/");

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function setAttr(node, name, value) {
    if (value === null) {
      if (node.hasAttribute(name)) node.removeAttribute(name);
    } else if (node.getAttribute(name) !== value) {
      node.setAttribute(name, value);
    }
  }

  // A monitor's pause button, in the list or on its page: "Pause", or "Unpause" when paused.
  function setPauseButton(button, slug, paused) {
    const verb = paused ? "Unpause" : "Pause";
    setText(button, verb);
    button.dataset.action = verb.toLowerCase();
    setAttr(button, "aria-label", `${verb} ${slug}`);
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(kind, status, message, retryAfter) {
      super(message);
      this.kind = kind; // "network", "unauthorized", "rate-limited", "http"
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  // A key goes into an HTTP header: anything but printable ASCII cannot be a key.
  const plausibleKey = (key) => /^[\x21-\x7e]{1,512}$/.test(key);

  // One API call. `as: "bytes"` answers an ArrayBuffer (a ping's body) instead of JSON;
  // `body`, a value sent as JSON.
  async function api(method, path, { key = state.key, as = "json", body = undefined } = {}) {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    let res;
    const headers = {
      Authorization: `Bearer ${key}`,
      Accept: as === "bytes" ? "application/octet-stream" : "application/json",
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
        signal: controller.signal,
      });
    } catch (err) {
      throw new ApiError("network", 0, "The server is not answering");
    } finally {
      clearTimeout(timeout);
    }
    if (res.ok) {
      if (res.status === 204) return null;
      try {
        if (as === "bytes") return await res.arrayBuffer();
        return await res.json();
      } catch (err) {
        if (err.name === "AbortError" || as === "bytes") {
          throw new ApiError("network", 0, "The server stopped answering");
        }
        throw new ApiError("http", res.status, "The server sent an answer that is not JSON");
      }
    }
    let message = `HTTP ${res.status}`;
    try {
      const body = await res.json();
      if (body && typeof body.error === "string") message = body.error;
    } catch (err) {
      // keep the status line
    }
    if (res.status === 401) throw new ApiError("unauthorized", 401, message);
    if (res.status === 429) {
      const retry = Number.parseInt(res.headers.get("Retry-After") || "", 10);
      throw new ApiError("rate-limited", 429, message, Number.isFinite(retry) ? retry : null);
    }
    throw new ApiError("http", res.status, message);
  }

  const monitorPath = (slug) => `/monitors/${encodeURIComponent(slug)}`;

  // ---------------------------------------------------------------- saved keys

  // localStorage: the keys outlive the tab, and every tab of this origin shares them. None
  // when the browser refuses storage (the keys then last as long as the page).
  function storage() {
    try {
      return window.localStorage;
    } catch (err) {
      return null;
    }
  }

  const byProject = (a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0);

  // The saved keys, each checked; a second key of a project is dropped.
  function loadKeys() {
    let list = [];
    try {
      list = JSON.parse(storage()?.getItem(KEYS_STORAGE) || "[]");
    } catch (err) {
      list = [];
    }
    if (!Array.isArray(list)) return [];
    const seen = new Set();
    const keys = [];
    for (const k of list) {
      if (!k || typeof k.key !== "string" || !plausibleKey(k.key) || typeof k.project !== "string" ||
          k.project === "" || !ROLES.has(k.role) || seen.has(k.project)) continue;
      seen.add(k.project);
      keys.push({ project: k.project, role: k.role, key: k.key });
    }
    return keys.sort(byProject);
  }

  // Changes the saved keys: `change` maps the list as stored now (another tab may have
  // changed it since this one read it) to the new one.
  function updateKeys(change) {
    const store = storage();
    state.keys = change(store ? loadKeys() : state.keys).sort(byProject);
    if (!store) return;
    try {
      if (state.keys.length === 0) {
        store.removeItem(KEYS_STORAGE);
        store.removeItem(PROJECT_STORAGE);
      } else {
        store.setItem(KEYS_STORAGE, JSON.stringify(state.keys));
      }
    } catch (err) {
      // storage full or refused: the keys last as long as the page
    }
  }

  function saveProject() {
    try {
      storage()?.setItem(PROJECT_STORAGE, state.project);
    } catch (err) {
      // the next visit opens the first project
    }
  }

  // Another tab changed the saved keys: this one follows (a key forgotten there is
  // forgotten here; logging out there logs out here).
  function onStorage(event) {
    if (event.key !== KEYS_STORAGE && event.key !== null) return;
    state.keys = loadKeys();
    if (!ui.login.hidden) {
      state.adding = state.adding && state.keys.length > 0;
      ui.loginCancel.hidden = !state.adding;
      return;
    }
    if (state.keys.some((k) => k.key === state.key)) {
      renderProjectBar();
      return;
    }
    // This key was forgotten or replaced there: the project's new key, else another's.
    const next = state.keys.find((k) => k.project === state.project) ?? state.keys[0];
    if (next) {
      activate(next, { toList: next.project !== state.project });
    } else {
      state.project = null;
      showLogin(null);
    }
  }

  function savedProject() {
    try {
      return storage()?.getItem(PROJECT_STORAGE) ?? null;
    } catch (err) {
      return null;
    }
  }

  // Empties the list and the monitor's page: another key's monitors are another project's.
  function resetMonitors() {
    state.monitors = [];
    state.loaded = false;
    for (const row of state.rows.values()) row.tr.remove();
    state.rows.clear();
    page.clear();
    channels.clear();
    state.channelsKey = null;
  }

  // Makes `entry` the current key and shows its project: the list the address names, from
  // `list` (an answer of GET /monitors for this key) or asked anew; `toList`: the list
  // whatever the address (another project has other monitors).
  function activate(entry, { list = null, toList = false } = {}) {
    stopRefreshing();
    if (state.key !== entry.key) resetMonitors();
    state.key = entry.key;
    state.project = entry.project;
    state.readOnly = entry.role === "read-only";
    state.adding = false;
    saveProject();
    renderProjectBar();
    showDashboard();
    if (toList && parseRoute(location.hash).view !== "list") history.pushState(null, "", "#/");
    applyRoute(null, list);
  }

  // The header's project: its name, or a select of every saved project's when there are
  // several; its role; the buttons and rows that write only for a key that may write.
  function renderProjectBar() {
    const several = state.keys.length > 1;
    setText(ui.projectName, state.project ?? "");
    ui.projectName.hidden = several;
    ui.projectSelect.hidden = !several;
    if (several) {
      ui.projectSelect.replaceChildren(...state.keys.map((k) => el("option", {
        value: k.project, text: k.role === "read-only" ? `${k.project} (read-only)` : k.project,
      })));
      ui.projectSelect.value = state.project;
    } else {
      ui.projectSelect.replaceChildren();
    }
    ui.readOnly.hidden = !state.readOnly;
    ui.topbar.classList.toggle("is-crowded", several || state.readOnly);
    ui.mpActions.hidden = state.readOnly;
    document.body.classList.toggle("is-read-only", state.readOnly);
    setAttr(ui.forgetKey, "title", `Forget the key of project ${state.project} in this browser`);
  }

  function switchProject(project) {
    const entry = state.keys.find((k) => k.project === project);
    if (entry && entry.key !== state.key) activate(entry, { toList: true });
  }

  // The current key was refused (revoked): it is forgotten; another project's key, if any,
  // takes over.
  function keyRefused() {
    const { project, key } = state;
    updateKeys((keys) => keys.filter((k) => k.key !== key));
    const next = state.keys[0];
    if (next) {
      activate(next, { toList: true });
      toast(`The key of project ${project} was not accepted (it may have been revoked) and is ` +
            `forgotten. This is project ${next.project}.`, "error");
    } else {
      state.project = null;
      showLogin("That key was not accepted. It may have been revoked: sign in with another key.");
    }
  }

  async function forgetKey() {
    const project = state.project;
    const yes = await confirmDialog({
      title: `Forget the key of ${project}?`,
      text: "This browser no longer keeps it: to see this project again, enter its key anew. " +
            "The key itself still works.",
      ok: "Forget", danger: false,
    });
    if (!yes || state.project !== project) return;
    updateKeys((keys) => keys.filter((k) => k.project !== project));
    if (state.keys.length > 0) {
      activate(state.keys[0], { toList: true });
      toast(`Forgot the key of project ${project}.`, "ok");
    } else {
      state.project = null;
      showLogin(null);
    }
  }

  // ---------------------------------------------------------------- views

  // The login view: to sign in, or, while other keys are saved, to add one (Cancel goes
  // back to the current project).
  function showLogin(message) {
    stopRefreshing();
    state.key = null;
    state.adding = state.keys.length > 0;
    resetMonitors();
    if (ui.confirm.open) ui.confirm.close("cancel");
    hideBanner();
    hideToast();
    ui.dashboard.hidden = true;
    ui.login.hidden = false;
    setText(ui.loginTitle, state.adding ? "Add a key" : "Sign in");
    ui.loginIntro.hidden = state.adding;
    ui.loginAddIntro.hidden = !state.adding;
    ui.loginCancel.hidden = !state.adding;
    setText(ui.loginSubmit, state.adding ? "Add key" : "Sign in");
    document.title = `${state.adding ? "Add a key" : "Sign in"} · heartbeat`;
    if (message) {
      ui.loginError.textContent = message;
      ui.loginError.hidden = false;
      ui.keyInput.setAttribute("aria-invalid", "true");
    } else {
      ui.loginError.hidden = true;
      ui.keyInput.removeAttribute("aria-invalid");
    }
    ui.keyInput.focus();
    ui.keyInput.select();
  }

  function showDashboard() {
    ui.login.hidden = true;
    ui.dashboard.hidden = false;
    ui.loginError.hidden = true;
    ui.keyInput.removeAttribute("aria-invalid");
    ui.keyInput.value = "";
  }

  async function onLogin(event) {
    event.preventDefault();
    const key = ui.keyInput.value.trim();
    const fail = (message) => {
      ui.loginError.textContent = message;
      ui.loginError.hidden = false;
      ui.keyInput.setAttribute("aria-invalid", "true");
      ui.keyInput.focus();
      ui.keyInput.select();
    };
    if (!key) return fail("Enter an API key.");
    if (!plausibleKey(key)) return fail("That key was not accepted.");
    ui.loginSubmit.disabled = true;
    ui.loginSubmit.textContent = "Checking…";
    try {
      const who = await api("GET", "/whoami", { key });
      if (!who || typeof who.project !== "string" || who.project === "" || !ROLES.has(who.role)) {
        return fail("The server's answer about this key is not understood.");
      }
      const list = await api("GET", "/monitors", { key });
      const entry = { project: who.project, role: who.role, key };
      const adding = state.adding;
      // One key per project: a new key of a saved project replaces the old one.
      updateKeys((keys) => [...keys.filter((k) => k.project !== entry.project), entry]);
      // The list or the monitor page the address names (at sign-in), from this answer.
      activate(entry, { list, toList: adding });
      if (adding) {
        toast(`Added the key of project ${entry.project}` +
              `${entry.role === "read-only" ? " (read-only)" : ""}.`, "ok");
      }
    } catch (err) {
      if (err.kind === "unauthorized") fail("That key was not accepted.");
      else if (err.kind === "rate-limited") {
        fail(`Too many failed attempts from this address: try again in ${err.retryAfter ?? "a few"} s.`);
      } else if (err.kind === "network") fail("The server is not answering. Try again in a moment.");
      else fail(`The server answered: ${err.message}`);
    } finally {
      ui.loginSubmit.disabled = false;
      ui.loginSubmit.textContent = state.adding ? "Add key" : "Sign in";
    }
  }

  // Back from adding a key: the project shown before.
  function cancelLogin() {
    const entry = state.keys.find((k) => k.project === state.project) ?? state.keys[0];
    if (entry) activate(entry);
  }

  // Forgets every saved key.
  function logout() {
    updateKeys(() => []);
    state.project = null;
    showLogin(null);
  }

  // ---------------------------------------------------------------- refreshing

  function stopRefreshing() {
    clearTimeout(state.timer);
    state.timer = 0;
    state.generation++;
  }

  // The next refresh; none while the tab is hidden (it refreshes when shown again, see init).
  function schedule(ms) {
    clearTimeout(state.timer);
    if (!document.hidden) state.timer = setTimeout(refresh, ms);
  }

  // Every 5 s: the list (the counts at the top need it on every view) and, on a monitor's
  // page, its history and status changes. list: an answer of GET /monitors just received
  // (at sign-in), used instead of asking again.
  async function refresh(list = null) {
    clearTimeout(state.timer);
    if (!state.key) return;
    const generation = ++state.generation;
    let next = REFRESH_MS;
    try {
      const slug = state.route.view === "monitor" ? state.route.slug : null;
      // The history is read alongside the list, unless the last list said there is no such
      // monitor (then only if this list has it).
      const known = slug !== null && (state.refreshes === 0 || state.monitors.some((m) => m.slug === slug));
      let detail = known ? page.fetch(slug) : null; // never rejects
      const data = list ?? await api("GET", "/monitors");
      if (generation !== state.generation || !state.key) return;
      const listed = slug !== null && data && Array.isArray(data.monitors) &&
        data.monitors.some((m) => m && m.slug === slug);
      if (detail === null && listed) detail = page.fetch(slug);
      const extra = detail === null ? null : await detail;
      if (generation !== state.generation || !state.key) return;
      if (extra && extra.unauthorized) throw extra.unauthorized;
      applyList(data);
      if (extra && listed && state.route.slug === slug) page.applyDetail(extra);
      if (state.route.view === "channels") channels.refresh();
      setOnline(true);
    } catch (err) {
      if (generation !== state.generation || !state.key) return;
      if (err.kind === "unauthorized") {
        keyRefused();
        return;
      }
      if (err.kind === "rate-limited") {
        const wait = Math.max(err.retryAfter ?? 5, 1);
        next = Math.max(REFRESH_MS, wait * 1000);
        setOnline(false, `Too many requests (429): the server asked to wait ${wait} s — retrying then.`);
      } else if (err.kind === "network") {
        setOnline(false, "The server is not answering — retrying.");
      } else {
        setOnline(false, `The server answered ${err.status}: ${err.message} — retrying.`);
      }
      renderTimes(); // relative times keep moving while the data is old
    }
    schedule(next);
  }

  // ---------------------------------------------------------------- routes

  // "#/monitors/<slug>" is a monitor's page, "#/channels" the channels'; anything else is
  // the list.
  function parseRoute(hash) {
    if (/^#\/channels\/?$/.test(hash)) return { view: "channels", slug: null };
    const m = /^#\/monitors\/([^/?#]+)\/?$/.exec(hash);
    if (m) {
      let slug = null;
      try {
        slug = decodeURIComponent(m[1]);
      } catch (err) {
        // a malformed escape: the list
      }
      if (slug !== null) return { view: "monitor", slug };
    }
    return { view: "list", slug: null };
  }

  const monitorHref = (slug) => `#/monitors/${encodeURIComponent(slug)}`;

  // event: the hashchange that brought us here; none on the first load (the focus then stays
  // where the browser put it). list: as for refresh().
  function applyRoute(event, list = null) {
    const previous = state.route;
    const route = parseRoute(location.hash);
    state.route = route;
    if (!state.key) return;
    if (ui.confirm.open) ui.confirm.close("cancel");
    const onMonitor = route.view === "monitor";
    const onChannels = route.view === "channels";
    ui.listView.hidden = onMonitor || onChannels;
    ui.monitorView.hidden = !onMonitor;
    ui.channelsView.hidden = !onChannels;
    setAttr(ui.navMonitors, "aria-current", onChannels ? null : "page");
    setAttr(ui.navChannels, "aria-current", onChannels ? "page" : null);
    if (!onChannels && state.channelsKey !== null) {
      channels.clear();
      state.channelsKey = null;
    }
    if (onMonitor) {
      if (page.current() !== route.slug) page.open(route.slug);
      page.applyMonitor(state.monitors.find((m) => m.slug === route.slug) ?? null, state.refreshes > 0);
      if (event) page.focusTitle();
      updateTitle();
    } else if (onChannels) {
      page.clear();
      // Opened again for another key: another project's channels, or another role.
      if (state.channelsKey !== state.key) {
        state.channelsKey = state.key;
        channels.open();
      }
      if (event) channels.focusTitle();
      updateTitle();
    } else {
      page.clear();
      updateTitle();
      // Back from a monitor's page: the focus goes back to that monitor in the list.
      const row = previous.view === "monitor" ? state.rows.get(previous.slug) : null;
      if (row && !row.tr.hidden) row.link.focus();
      else if (previous.view === "monitor") window.scrollTo(0, 0);
    }
    refresh(list);
  }

  function setOnline(online, message) {
    ui.dashboard.classList.toggle("is-offline", !online);
    if (online) {
      const now = new Date();
      setText(ui.liveText,
        `Updated ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`);
      ui.live.title = `Refreshes every ${REFRESH_MS / 1000} s`;
      hideBanner();
    } else {
      setText(ui.liveText, "Retrying…");
      ui.live.title = message;
      showBanner(message);
    }
  }

  function showBanner(message) {
    setText(ui.banner, message);
    ui.banner.hidden = false;
  }

  function hideBanner() {
    ui.banner.hidden = true;
  }

  function toast(message, kind = "info") {
    clearTimeout(state.toastTimer);
    ui.toast.textContent = message;
    ui.toast.className = `toast toast-${kind}`;
    ui.toast.hidden = false;
    state.toastTimer = setTimeout(hideToast, 4000);
  }

  function hideToast() {
    clearTimeout(state.toastTimer);
    ui.toast.hidden = true;
  }

  // ---------------------------------------------------------------- rendering

  function applyList(data) {
    const list = data && Array.isArray(data.monitors) ? data.monitors : [];
    state.monitors = list.filter((m) => m && typeof m.slug === "string");
    state.refreshes++;
    state.loaded = true;
    document.body.dataset.refreshes = String(state.refreshes);
    render();
    if (state.route.view === "monitor") {
      page.applyMonitor(state.monitors.find((m) => m.slug === state.route.slug) ?? null, true);
    }
  }

  // Creates the row of one monitor; later refreshes only update its cells.
  function createRow(slug) {
    const link = el("a", { class: "slug", href: monitorHref(slug), text: slug });
    const badge = el("span", { class: "badge" }); // the status badge, made by updateRow
    const extras = el("span", { class: "badge-extras" });
    const lastPing = el("time", { class: "when" });
    const nextDue = el("time", { class: "when" });
    const intervalText = el("span", { class: "interval" });
    const alerts = el("span", { class: "alerts" });
    const toggle = el("button", { type: "button", class: "btn btn-small", dataset: { action: "pause" } });
    const remove = el("button", {
      type: "button", class: "btn btn-small btn-danger-ghost", dataset: { action: "delete" },
      "aria-label": `Delete ${slug}`, text: "Delete",
    });
    const tr = el("tr", { dataset: { slug } },
      el("th", { scope: "row", class: "cell-slug", dataset: { label: "Monitor" } }, link),
      el("td", { class: "cell-status", dataset: { label: "Status" } },
         el("span", { class: "badges" }, badge, extras)),
      el("td", { class: "cell-last", dataset: { label: "Last ping" } }, lastPing),
      el("td", { class: "cell-next", dataset: { label: "Next due" } }, nextDue),
      el("td", { class: "cell-interval", dataset: { label: "Schedule" } }, intervalText),
      el("td", { class: "cell-alerts num", dataset: { label: "Alerts sent" } }, alerts),
      // A read-only key is shown no button that writes.
      el("td", { class: "cell-actions" },
         el("div", { class: "actions" }, ...(state.readOnly ? [] : [toggle, remove]))));
    return { tr, link, badge, extras, extrasKey: "", lastPing, nextDue, intervalText, alerts,
             toggle: state.readOnly ? null : toggle, status: null, monitor: null };
  }

  function updateRow(row, m, now) {
    row.monitor = m;
    const status = displayStatus(m);
    if (row.status !== status) {
      row.status = status;
      row.tr.className = `row status-${status}`;
      const badge = statusBadge(status);
      row.badge.replaceWith(badge);
      row.badge = badge;
    }
    if (row.toggle) setPauseButton(row.toggle, m.slug, status === "paused");
    setText(row.intervalText, setting(m));
    setAttr(row.intervalText, "title",
      scheduled(m) || Number.isFinite(m.interval_secs) ? expectation(m) : null);
    const count = Number.isFinite(m.alert_count) ? m.alert_count : 0;
    setText(row.alerts, String(count));
    row.alerts.classList.toggle("alerts-none", count === 0);
    setAttr(row.alerts, "title", Number.isFinite(m.last_alerted_at) && m.last_alerted_at
      ? `Last alert ${utc(m.last_alerted_at)}` : null);
    updateTimes(row, now);
  }

  function updateTimes(row, now) {
    const m = row.monitor;
    if (Number.isFinite(m.last_ping)) {
      setText(row.lastPing, ago(m.last_ping, now));
      setAttr(row.lastPing, "datetime", new Date(m.last_ping * 1000).toISOString());
      setAttr(row.lastPing, "title", utc(m.last_ping));
      row.lastPing.classList.remove("never");
    } else {
      setText(row.lastPing, "never");
      setAttr(row.lastPing, "datetime", null);
      setAttr(row.lastPing, "title", "No successful ping yet");
      row.lastPing.classList.add("never");
    }
    const due = dueText(m, row.status, now);
    setText(row.nextDue, due.text);
    setAttr(row.nextDue, "datetime",
      Number.isFinite(m.next_due) ? new Date(m.next_due * 1000).toISOString() : null);
    setAttr(row.nextDue, "title", due.title);
    row.nextDue.classList.toggle("late", due.late);
    row.nextDue.classList.toggle("grace", due.grace);
    row.nextDue.classList.toggle("muted", row.status === "paused");
    const badges = extraBadges(m, now);
    const key = badgesKey(badges);
    if (row.extrasKey !== key) {
      row.extrasKey = key;
      row.extras.replaceChildren(...badges);
    }
  }

  // The next deadline in words: "in 5 min", "late by 2 min", "overdue for 1 h", "paused".
  function dueText(m, status, now) {
    if (!Number.isFinite(m.next_due)) return { text: "—", title: null, late: false, grace: false };
    if (status === "paused") {
      return { text: "paused", title: "No deadline while paused; unpausing starts a fresh period",
               late: false, grace: false };
    }
    const diff = m.next_due - now;
    if (status === "ok" && m.late === true) {
      return { text: `late by ${span(-diff)}`, late: true, grace: true,
               title: `Was due ${utc(m.next_due)}` +
                      (Number.isFinite(m.alert_at) ? `; alerts at ${utc(m.alert_at)}` : "") };
    }
    const late = status !== "ok" || diff < 0;
    return { text: late ? `overdue for ${span(-diff)}` : `in ${span(diff)}`, late, grace: false,
             title: `${late ? "Was due" : "Due"} ${utc(m.next_due)}` };
  }

  function renderTimes() {
    const now = Date.now() / 1000;
    for (const row of state.rows.values()) updateTimes(row, now);
    if (state.route.view === "monitor") page.renderTimes(now);
    if (state.route.view === "channels") channels.renderTimes(now);
  }

  function compare(a, b) {
    const { key, dir } = state.sort;
    let x;
    let y;
    if (key === "status") {
      x = STATUS[displayStatus(a)].rank;
      y = STATUS[displayStatus(b)].rank;
    } else if (key === "last_ping") {
      x = Number.isFinite(a.last_ping) ? a.last_ping : -Infinity;
      y = Number.isFinite(b.last_ping) ? b.last_ping : -Infinity;
    } else if (key === "next_due") {
      // Paused monitors have no deadline: last, whatever the direction.
      x = displayStatus(a) === "paused" ? Infinity * dir : a.next_due;
      y = displayStatus(b) === "paused" ? Infinity * dir : b.next_due;
    }
    if (key !== "slug" && x !== y) return (x < y ? -1 : 1) * dir;
    if (a.slug === b.slug) return 0;
    return (a.slug < b.slug ? -1 : 1) * (key === "slug" ? dir : 1);
  }

  function matches(m) {
    if (state.filterText && !m.slug.includes(state.filterText)) return false;
    const status = displayStatus(m);
    switch (state.filterStatus) {
      case "all": return true;
      case "attention": return status === "overdue" || status === "failed";
      default: return status === state.filterStatus;
    }
  }

  function render() {
    const now = Date.now() / 1000;
    const counts = { ok: 0, overdue: 0, failed: 0, paused: 0 };
    const seen = new Set();
    for (const m of state.monitors) {
      seen.add(m.slug);
      let row = state.rows.get(m.slug);
      if (!row) {
        row = createRow(m.slug);
        state.rows.set(m.slug, row);
      }
      updateRow(row, m, now);
      counts[row.status]++;
    }
    for (const [slug, row] of state.rows) {
      if (!seen.has(slug)) {
        row.tr.remove();
        state.rows.delete(slug);
      }
    }
    for (const [name, value] of Object.entries(counts)) {
      setText(ui.counts[name], String(value));
      ui.counts[name].parentElement.classList.toggle("is-zero", value === 0);
    }
    setText(ui.counts.total, String(state.monitors.length));
    state.problems = counts.overdue + counts.failed;
    updateTitle();
    arrange();
  }

  function updateTitle() {
    let name = "heartbeat";
    if (state.route.view === "monitor") name = `${state.route.slug} · heartbeat`;
    else if (state.route.view === "channels") name = "Channels · heartbeat";
    document.title = state.problems ? `(${state.problems}) ${name}` : name;
  }

  // Orders and filters the rows in place: rows already where they belong are not touched,
  // so nothing flickers and the scroll position stays.
  function arrange() {
    const sorted = [...state.monitors].sort(compare);
    const focused = ui.rows.contains(document.activeElement) ? document.activeElement : null;
    let cursor = ui.rows.firstChild;
    let shown = 0;
    for (const m of sorted) {
      const row = state.rows.get(m.slug);
      const visible = matches(m);
      if (row.tr.hidden === visible) row.tr.hidden = !visible;
      if (visible) shown++;
      if (cursor === row.tr) cursor = cursor.nextSibling;
      else ui.rows.insertBefore(row.tr, cursor);
    }
    // Moving a row takes the focus away from a button in it: give it back.
    if (focused && document.activeElement !== focused && focused.isConnected) focused.focus();
    const total = state.monitors.length;
    const filtered = state.filterText !== "" || state.filterStatus !== "all";
    setText(ui.shownCount, filtered ? `${shown} of ${total} shown`
      : `${total} monitor${total === 1 ? "" : "s"}`);
    ui.table.classList.toggle("is-empty", shown === 0);
    if (total === 0 && !state.loaded) {
      ui.empty.hidden = true; // another project's list is on its way
    } else if (total === 0 && state.readOnly) {
      showEmpty("No monitors yet",
        `Project ${state.project} has no monitor yet. A job's first ping creates one, with a ` +
        "read-write key of the project: this key can only look.", null, false);
    } else if (total === 0) {
      showEmpty("No monitors yet",
        "A monitor is created by its first ping. From a cron job, for example:",
        `curl -fsS -H "Authorization: Bearer $KEY" \\\n  "${location.origin}/heartbeat/nightly-backup?interval=1h"`, false);
    } else if (shown === 0) {
      showEmpty("No monitor matches the filter", "", null, true);
    } else {
      ui.empty.hidden = true;
    }
    updateSortIndicators();
  }

  function showEmpty(title, text, example, canClear) {
    setText(ui.emptyTitle, title);
    setText(ui.emptyText, text);
    ui.emptyText.hidden = !text;
    ui.emptyExample.hidden = example === null;
    if (example !== null) setText(ui.emptyExample, example);
    ui.clearFilters.hidden = !canClear;
    ui.empty.hidden = false;
  }

  function updateSortIndicators() {
    for (const th of ui.sortHeaders) {
      const active = th.dataset.sort === state.sort.key;
      setAttr(th, "aria-sort", active ? (state.sort.dir === 1 ? "ascending" : "descending") : null);
    }
    const value = `${state.sort.key}:${state.sort.dir}`;
    if (ui.sortSelect.value !== value) ui.sortSelect.value = value;
    for (const button of ui.countButtons) {
      setAttr(button, "aria-pressed", String(button.dataset.filter === state.filterStatus));
    }
  }

  // ---------------------------------------------------------------- actions

  function confirmDialog({ title, text, ok, danger }) {
    return new Promise((resolve) => {
      const dialog = ui.confirm;
      ui.confirmTitle.textContent = title;
      ui.confirmText.textContent = text;
      ui.confirmOk.textContent = ok;
      ui.confirmOk.className = `btn ${danger ? "btn-danger" : "btn-primary"}`;
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
      dialog.showModal();
      ui.confirmCancel.focus();
    });
  }

  // A click in the list: a button acts on its monitor; anywhere else in a row opens the
  // monitor's page (the slug is also a link, for the keyboard and for a new tab).
  async function onRowAction(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || !ui.rows.contains(button)) {
      const tr = event.target.closest("tr[data-slug]");
      if (!tr || !ui.rows.contains(tr) || event.target.closest("a, button")) return;
      if (String(window.getSelection() || "") !== "") return; // selecting text, not opening
      location.hash = monitorHref(tr.dataset.slug);
      return;
    }
    await runAction(button, button.dataset.action, button.closest("tr").dataset.slug);
  }

  // Pause (asks first), unpause or delete (asks first) one monitor, from the list or its page.
  async function runAction(button, action, slug) {
    if (state.readOnly) return; // no such button is shown; the server would refuse anyway
    if (action === "pause") {
      const yes = await confirmDialog({
        title: `Pause ${slug}?`,
        text: "No alerts are sent while it is paused; its pings are still recorded. " +
              "Unpausing starts a fresh period.",
        ok: "Pause", danger: false,
      });
      if (yes) await act(button, "POST", `${monitorPath(slug)}/pause`, `Paused ${slug}.`);
    } else if (action === "unpause") {
      await act(button, "POST", `${monitorPath(slug)}/unpause`, `Unpaused ${slug}: a fresh period starts now.`);
    } else if (action === "delete") {
      const yes = await confirmDialog({
        title: `Delete ${slug}?`,
        text: "The monitor, its alert state and its history are removed. A later ping to this " +
              "slug creates it anew.",
        ok: "Delete", danger: true,
      });
      if (yes && await act(button, "DELETE", monitorPath(slug), `Deleted ${slug}.`, false) &&
          state.route.view === "monitor" && state.route.slug === slug) {
        location.hash = "#/"; // the page of a deleted monitor has nothing left to show
      } else if (yes) {
        await refresh();
      }
    }
  }

  // Sends one change; says how it went in a toast. True when the server did it.
  async function act(button, method, path, done, thenRefresh = true) {
    button.disabled = true;
    let ok = false;
    try {
      await api(method, path);
      toast(done, "ok");
      ok = true;
    } catch (err) {
      if (err.kind === "unauthorized") {
        keyRefused();
        return false;
      }
      if (err.status === 404) toast("That monitor no longer exists.", "error");
      else if (err.kind === "network") toast("The server is not answering: nothing was changed.", "error");
      else if (err.kind === "rate-limited") toast("Too many requests: try again in a moment.", "error");
      else toast(`Could not do that: ${err.message}`, "error");
    } finally {
      button.disabled = false;
    }
    if (thenRefresh) await refresh();
    return ok;
  }

  function setSort(key, dir) {
    state.sort = { key, dir };
    arrange();
  }

  function onHeaderClick(event) {
    const th = event.target.closest("th[data-sort]");
    if (!th || !event.target.closest("button")) return;
    const key = th.dataset.sort;
    setSort(key, state.sort.key === key ? -state.sort.dir : 1);
  }

  function setStatusFilter(value) {
    state.filterStatus = value;
    if (ui.filterStatus.value !== value) ui.filterStatus.value = value;
    arrange();
  }

  // ---------------------------------------------------------------- start

  function init() {
    Object.assign(ui, {
      login: $("login-view"),
      loginForm: $("login-form"),
      keyInput: $("api-key"),
      loginError: $("login-error"),
      loginSubmit: $("login-submit"),
      loginCancel: $("login-cancel"),
      loginTitle: $("login-title"),
      loginIntro: $("login-intro"),
      loginAddIntro: $("login-add-intro"),
      topbar: document.querySelector(".topbar"),
      projectName: $("project-name"),
      projectSelect: $("project-select"),
      readOnly: $("read-only"),
      addKey: $("add-key"),
      forgetKey: $("forget-key"),
      mpActions: $("mp-actions"),
      dashboard: $("dashboard-view"),
      live: $("live"),
      liveText: $("live-text"),
      banner: $("banner"),
      toast: $("toast"),
      filterText: $("filter-text"),
      filterStatus: $("filter-status"),
      sortSelect: $("sort-select"),
      shownCount: $("shown-count"),
      listView: $("list-view"),
      monitorView: $("monitor-view"),
      channelsView: $("channels-view"),
      navMonitors: $("nav-monitors"),
      navChannels: $("nav-channels"),
      table: $("monitors"),
      rows: $("monitor-rows"),
      empty: $("empty"),
      emptyTitle: $("empty-title"),
      emptyText: $("empty-text"),
      emptyExample: $("empty-example"),
      clearFilters: $("clear-filters"),
      confirm: $("confirm"),
      confirmTitle: $("confirm-title"),
      confirmText: $("confirm-text"),
      confirmOk: $("confirm-ok"),
      confirmCancel: $("confirm-cancel"),
      counts: {
        ok: $("count-ok"), overdue: $("count-overdue"), failed: $("count-failed"),
        paused: $("count-paused"), total: $("count-total"),
      },
    });
    ui.sortHeaders = [...document.querySelectorAll("#monitors th[data-sort]")];
    const readOnly = () => state.readOnly;
    page = window.HeartbeatMonitorPage.create({
      api, el, svgEl, badge, statusBadge, displayStatus, extraBadges, badgesKey, dueText,
      monitorPath, runAction, setText, setAttr, setPauseButton, toast, keyRefused, readOnly, refresh,
    });
    channels = window.HeartbeatChannelsPage.create({
      api, el, setText, setAttr, confirmDialog, toast, keyRefused, readOnly, project: () => state.project,
    });
    ui.countButtons = [...document.querySelectorAll(".counts .count")];

    ui.loginForm.addEventListener("submit", onLogin);
    $("logout").addEventListener("click", logout);
    ui.loginCancel.addEventListener("click", cancelLogin);
    ui.addKey.addEventListener("click", () => showLogin(null));
    ui.forgetKey.addEventListener("click", forgetKey);
    ui.projectSelect.addEventListener("change", () => switchProject(ui.projectSelect.value));
    ui.rows.addEventListener("click", onRowAction);
    ui.table.tHead.addEventListener("click", onHeaderClick);
    ui.filterText.addEventListener("input", () => {
      state.filterText = ui.filterText.value.trim().toLowerCase();
      arrange();
    });
    ui.filterStatus.addEventListener("change", () => setStatusFilter(ui.filterStatus.value));
    ui.sortSelect.addEventListener("change", () => {
      const [key, dir] = ui.sortSelect.value.split(":");
      setSort(key, Number(dir));
    });
    for (const button of ui.countButtons) {
      button.addEventListener("click", () => {
        const value = button.dataset.filter;
        if (state.route.view !== "list") {
          setStatusFilter(value); // from a monitor's or the channels' page: the list, filtered
          location.hash = "#/";
        } else {
          setStatusFilter(state.filterStatus === value ? "all" : value);
        }
      });
    }
    window.addEventListener("hashchange", applyRoute);
    window.addEventListener("storage", onStorage);
    ui.clearFilters.addEventListener("click", () => {
      ui.filterText.value = "";
      state.filterText = "";
      setStatusFilter("all");
    });
    ui.confirmOk.addEventListener("click", () => ui.confirm.close("ok"));
    ui.confirmCancel.addEventListener("click", () => ui.confirm.close("cancel"));
    ui.confirm.addEventListener("click", (event) => {
      if (event.target === ui.confirm) ui.confirm.close("cancel"); // a click on the backdrop
    });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) clearTimeout(state.timer);
      else if (state.key) refresh();
    });

    state.keys = loadKeys();
    const saved = savedProject();
    const entry = state.keys.find((k) => k.project === saved) ?? state.keys[0];
    if (entry) activate(entry);
    else showLogin(null);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
