// The heartbeat dashboard: a login view asking for an API key, then every monitor of
// GET /monitors in one table, refreshed every 5 s in place (rows keyed by slug), with
// pause / unpause / delete. Plain DOM, no framework, no build step. The page is served
// with a strict Content-Security-Policy: nothing inline, nothing from elsewhere, and
// every piece of data goes into the page through textContent or attributes, never HTML.
"use strict";

(() => {
  const KEY_STORAGE = "heartbeat.apiKey";
  const REFRESH_MS = 5000;
  const REQUEST_TIMEOUT_MS = 10000;
  const SVG_NS = "http://www.w3.org/2000/svg";

  // Display statuses, worst first (the order of an ascending sort by status).
  const STATUS = {
    failed: { rank: 0, label: "failed", title: "The job reported failure" },
    overdue: { rank: 1, label: "overdue", title: "No ping since the deadline" },
    ok: { rank: 2, label: "ok", title: "Pinged in time" },
    paused: { rank: 3, label: "paused", title: "Paused: no alerts are sent" },
  };

  const state = {
    key: null,
    monitors: [], // the last list the server sent
    rows: new Map(), // slug -> row record (see createRow)
    sort: { key: "slug", dir: 1 },
    filterText: "",
    filterStatus: "all",
    timer: 0,
    generation: 0, // a newer refresh makes the answer of an older one stale
    refreshes: 0,
    online: null,
    toastTimer: 0,
  };

  const $ = (id) => document.getElementById(id);
  const ui = {};

  // ---------------------------------------------------------------- formatting

  const pad = (n) => String(n).padStart(2, "0");

  function utc(unixSeconds) {
    const d = new Date(unixSeconds * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  }

  // A length of time for people: "45 s", "7 min", "2 h 5 min", "3 d 4 h".
  function span(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min`;
    const h = Math.floor(m / 60);
    if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
    const d = Math.floor(h / 24);
    if (d < 30) return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
    return `${d} days`;
  }

  function ago(unixSeconds, now) {
    const diff = now - unixSeconds;
    return diff < 5 ? "just now" : `${span(diff)} ago`;
  }

  // An interval as the API accepts it: 300 -> "5m", 5400 -> "1h 30m".
  function interval(seconds) {
    let s = Math.max(0, Math.floor(seconds));
    const parts = [];
    for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]]) {
      if (s >= size) {
        parts.push(`${Math.floor(s / size)}${unit}`);
        s %= size;
      }
    }
    return parts.length ? parts.join(" ") : "0s";
  }

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

  function svg(viewBox, paths) {
    const root = document.createElementNS(SVG_NS, "svg");
    root.setAttribute("viewBox", viewBox);
    root.setAttribute("width", "14");
    root.setAttribute("height", "14");
    root.setAttribute("aria-hidden", "true");
    root.setAttribute("focusable", "false");
    root.setAttribute("class", "icon");
    for (const attrs of paths) {
      const p = document.createElementNS(SVG_NS, "path");
      for (const [name, value] of Object.entries(attrs)) p.setAttribute(name, value);
      root.append(p);
    }
    return root;
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
  };

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

  async function api(method, path, key = state.key) {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${key}`, Accept: "application/json" },
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
        return await res.json();
      } catch (err) {
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

  // ---------------------------------------------------------------- views

  function showLogin(message) {
    stopRefreshing();
    state.key = null;
    state.monitors = [];
    sessionStorage.removeItem(KEY_STORAGE);
    for (const row of state.rows.values()) row.tr.remove();
    state.rows.clear();
    if (ui.confirm.open) ui.confirm.close("cancel");
    hideBanner();
    hideToast();
    ui.dashboard.hidden = true;
    ui.login.hidden = false;
    document.title = "Sign in · heartbeat";
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
      const data = await api("GET", "/monitors", key);
      state.key = key;
      sessionStorage.setItem(KEY_STORAGE, key);
      showDashboard();
      applyList(data);
      setOnline(true);
      schedule(REFRESH_MS);
    } catch (err) {
      if (err.kind === "unauthorized") fail("That key was not accepted.");
      else if (err.kind === "rate-limited") {
        fail(`Too many failed attempts from this address: try again in ${err.retryAfter ?? "a few"} s.`);
      } else if (err.kind === "network") fail("The server is not answering. Try again in a moment.");
      else fail(`The server answered: ${err.message}`);
    } finally {
      ui.loginSubmit.disabled = false;
      ui.loginSubmit.textContent = "Sign in";
    }
  }

  function logout() {
    showLogin(null);
  }

  // ---------------------------------------------------------------- refreshing

  function stopRefreshing() {
    clearTimeout(state.timer);
    state.timer = 0;
    state.generation++;
  }

  function schedule(ms) {
    clearTimeout(state.timer);
    state.timer = setTimeout(refresh, ms);
  }

  async function refresh() {
    clearTimeout(state.timer);
    if (!state.key) return;
    const generation = ++state.generation;
    let next = REFRESH_MS;
    try {
      const data = await api("GET", "/monitors");
      if (generation !== state.generation || !state.key) return;
      applyList(data);
      setOnline(true);
    } catch (err) {
      if (generation !== state.generation || !state.key) return;
      if (err.kind === "unauthorized") {
        showLogin("That key was not accepted. It may have been revoked: sign in with another key.");
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

  function setOnline(online, message) {
    state.online = online;
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
    document.body.dataset.refreshes = String(state.refreshes);
    render();
  }

  // Creates the row of one monitor; later refreshes only update its cells.
  function createRow(slug) {
    const slugText = el("span", { class: "slug", text: slug });
    const badgeIcon = el("span", { class: "badge-icon" });
    const badgeText = el("span", { class: "badge-text" });
    const badge = el("span", { class: "badge" }, badgeIcon, badgeText);
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
      el("th", { scope: "row", class: "cell-slug", dataset: { label: "Monitor" } }, slugText),
      el("td", { class: "cell-status", dataset: { label: "Status" } }, badge),
      el("td", { class: "cell-last", dataset: { label: "Last ping" } }, lastPing),
      el("td", { class: "cell-next", dataset: { label: "Next due" } }, nextDue),
      el("td", { class: "cell-interval", dataset: { label: "Interval" } }, intervalText),
      el("td", { class: "cell-alerts num", dataset: { label: "Alerts sent" } }, alerts),
      el("td", { class: "cell-actions" }, el("div", { class: "actions" }, toggle, remove)));
    return { slug, tr, badge, badgeIcon, badgeText, lastPing, nextDue, intervalText, alerts, toggle,
             status: null, monitor: null };
  }

  function updateRow(row, m, now) {
    row.monitor = m;
    const status = displayStatus(m);
    if (row.status !== status) {
      row.status = status;
      row.tr.className = `row status-${status}`;
      row.badge.className = `badge badge-${status}`;
      row.badgeIcon.replaceChildren(ICONS[status]());
      row.badgeText.textContent = STATUS[status].label;
      row.badge.title = STATUS[status].title;
    }
    const paused = status === "paused";
    setText(row.toggle, paused ? "Unpause" : "Pause");
    row.toggle.dataset.action = paused ? "unpause" : "pause";
    setAttr(row.toggle, "aria-label", `${paused ? "Unpause" : "Pause"} ${m.slug}`);
    setText(row.intervalText, Number.isFinite(m.interval_secs) ? interval(m.interval_secs) : "—");
    setAttr(row.intervalText, "title",
      Number.isFinite(m.interval_secs) ? `${m.interval_secs} seconds` : null);
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
    let text = "—";
    let late = false;
    if (Number.isFinite(m.next_due)) {
      setAttr(row.nextDue, "datetime", new Date(m.next_due * 1000).toISOString());
      if (row.status === "paused") {
        text = "paused";
        setAttr(row.nextDue, "title", "No deadline while paused; unpausing starts a fresh period");
      } else {
        const diff = m.next_due - now;
        late = row.status !== "ok" || diff < 0;
        text = late ? `overdue for ${span(-diff)}` : `in ${span(diff)}`;
        setAttr(row.nextDue, "title", `${late ? "Was due" : "Due"} ${utc(m.next_due)}`);
      }
    }
    setText(row.nextDue, text);
    row.nextDue.classList.toggle("late", late);
    row.nextDue.classList.toggle("muted", row.status === "paused");
  }

  function renderTimes() {
    const now = Date.now() / 1000;
    for (const row of state.rows.values()) updateTimes(row, now);
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
    const problems = counts.overdue + counts.failed;
    document.title = problems ? `(${problems}) heartbeat` : "heartbeat";
    arrange();
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
    if (total === 0) {
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

  async function onRowAction(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || !ui.rows.contains(button)) return;
    const slug = button.closest("tr").dataset.slug;
    const action = button.dataset.action;
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
        text: "The monitor and its alert state are removed. A later ping to this slug creates it anew.",
        ok: "Delete", danger: true,
      });
      if (yes) await act(button, "DELETE", monitorPath(slug), `Deleted ${slug}.`);
    }
  }

  async function act(button, method, path, done) {
    button.disabled = true;
    try {
      await api(method, path);
      toast(done, "ok");
    } catch (err) {
      if (err.kind === "unauthorized") {
        showLogin("That key was not accepted. It may have been revoked: sign in with another key.");
        return;
      }
      if (err.status === 404) toast("That monitor no longer exists.", "error");
      else if (err.kind === "network") toast("The server is not answering: nothing was changed.", "error");
      else if (err.kind === "rate-limited") toast("Too many requests: try again in a moment.", "error");
      else toast(`Could not do that: ${err.message}`, "error");
    } finally {
      button.disabled = false;
    }
    await refresh();
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
      dashboard: $("dashboard-view"),
      live: $("live"),
      liveText: $("live-text"),
      banner: $("banner"),
      toast: $("toast"),
      filterText: $("filter-text"),
      filterStatus: $("filter-status"),
      sortSelect: $("sort-select"),
      shownCount: $("shown-count"),
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
    ui.countButtons = [...document.querySelectorAll(".counts .count")];

    ui.loginForm.addEventListener("submit", onLogin);
    $("logout").addEventListener("click", logout);
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
        setStatusFilter(state.filterStatus === value ? "all" : value);
      });
    }
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
      if (document.visibilityState === "visible" && state.key) refresh();
    });

    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key && plausibleKey(key)) {
      state.key = key;
      showDashboard();
      refresh();
    } else {
      showLogin(null);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
