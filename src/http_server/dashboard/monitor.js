// One monitor's page (#/monitors/<slug>): its settings in words, status, the times that
// matter, where and when its alerts go (its channels, repeat and down_after, a form to
// change them; snooze and unsnooze), a chart of run durations, a 90-day status band and
// the history of its pings, each body fetched when its row is opened. app.js owns the refresh loop, the API key and
// the actions, and hands them in (create(deps)); this file only draws. Data goes into the
// page through textContent and attributes, never HTML: a ping's body is anyone's bytes.
"use strict";

(() => {
  const HISTORY_LIMIT = 100; // the server keeps PINGS_KEPT (100 by default) per monitor
  // The repeats offered (the interval grammar); a monitor's own, if another, is added.
  const REPEATS = ["15m", "30m", "1h", "2h", "4h", "6h", "12h", "24h"];
  const REPEAT_SECS = { "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400, "6h": 21600,
                        "12h": 43200, "24h": 86400 };
  const MAX_DOWN_AFTER = 100; // core's kMaxDownAfter
  const SNOOZES = { "1h": "1 hour", "4h": "4 hours", "24h": "24 hours" };
  const TIMELINE_DAYS = 90;
  const W = window.HeartbeatWords;
  const { utc, span, ago, runDuration } = W;

  const KINDS = {
    success: { icon: "ok", title: "The job reported success" },
    start: { icon: "running", title: "A run started" },
    fail: { icon: "failed", title: "The job reported failure" },
    log: { icon: "log", title: "A message, recorded only" },
  };

  function bytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  // An RFC 3339 time (history) or Unix seconds (monitor, flips) as Unix seconds, or null.
  function seconds(at) {
    if (typeof at === "number" && Number.isFinite(at)) return at > 1e11 ? at / 1000 : at;
    if (typeof at === "string") {
      const t = Date.parse(at);
      return Number.isFinite(t) ? t / 1000 : null;
    }
    return null;
  }

  // "2026-12-07 02:00:00.123 UTC" from an RFC 3339 string, keeping its milliseconds.
  function exact(at, unix) {
    const ms = /\.(\d{1,3})/.exec(typeof at === "string" ? at : "");
    const base = utc(Math.floor(unix));
    return ms ? base.replace(" UTC", `.${ms[1].padEnd(3, "0")} UTC`) : base;
  }

  // A time in a monitor's own zone, for schedules ("03:00 Europe/Riga"); null when the
  // browser does not know the zone.
  function inZone(unix, tz) {
    try {
      const f = new Intl.DateTimeFormat("en-GB", {
        timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
        minute: "2-digit", hourCycle: "h23",
      });
      const p = Object.fromEntries(f.formatToParts(new Date(unix * 1000)).map((x) => [x.type, x.value]));
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${tz}`;
    } catch (err) {
      return null;
    }
  }

  // The top of a duration axis: the first round length of time at or above v ms, whose half
  // (the middle grid line) is round too.
  const AXIS_TOPS_MS = [10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 10e3, 20e3, 30e3, 60e3, 120e3,
                        300e3, 600e3, 1200e3, 1800e3, 3600e3, 7200e3, 4 * 3600e3, 6 * 3600e3,
                        12 * 3600e3, 24 * 3600e3];
  function axisTop(v) {
    for (const top of AXIS_TOPS_MS) if (v <= top) return top;
    const day = 24 * 3600e3;
    return Math.ceil(v / day) * day;
  }

  function create(deps) {
    const { api, el, svgEl, badge, statusBadge, displayStatus, extraBadges, badgesKey, dueText, monitorPath,
            runAction, setText, setAttr, setPauseButton, toast, keyRefused, readOnly, refresh } = deps;
    const $ = (id) => document.getElementById(id);
    const svgTitle = (text) => svgEl("title", null, text);
    const ui = {
      missing: $("mp-missing"), missingSlug: $("mp-missing-slug"), body: $("mp-body"),
      title: $("mp-title"), slug: $("mp-slug"), badges: $("mp-badges"), toggle: $("mp-toggle"),
      remove: $("mp-delete"), words: $("mp-words"), settingLabel: $("mp-setting-label"),
      setting: $("mp-setting"), maxRuntime: $("mp-max-runtime"), lastPing: $("mp-last-ping"),
      nextDue: $("mp-next-due"), alertAt: $("mp-alert-at"), lastRun: $("mp-last-run"),
      alerts: $("mp-alerts"), chart: $("mp-durations"), chartSummary: $("mp-durations-summary"),
      chartEmpty: $("mp-durations-empty"), timeline: $("mp-timeline"),
      timelineSummary: $("mp-timeline-summary"), historySummary: $("mp-history-summary"),
      history: $("mp-history"), rows: $("mp-history-rows"), historyEmpty: $("mp-history-empty"),
      policyWords: $("mp-policy-words"), snoozeState: $("mp-snooze-state"),
      snoozeActions: $("mp-snooze-actions"), unsnooze: $("mp-unsnooze"),
      snoozeButtons: [...document.querySelectorAll("#mp-snooze-actions button[data-snooze]")],
      policy: $("mp-policy"), channelsAll: $("mp-channels-all"), channelsSome: $("mp-channels-some"),
      channelBoxes: $("mp-channel-boxes"), channelsNote: $("mp-channels-note"), repeat: $("mp-repeat"),
      downAfter: $("mp-down-after"), policyError: $("mp-policy-error"), policySave: $("mp-policy-save"),
      policyReset: $("mp-policy-reset"),
    };

    // Everything about the monitor shown now; reset by open().
    let page = null;
    // channels: the names of the project's channels (GET /channels), null until known;
    // dirty: the alert form was changed and not saved (the refresh then leaves it alone).
    const fresh = (slug) => ({
      slug, monitor: null, pings: null, flips: null, rows: new Map(), badgesKey: "",
      chartKey: "", timelineKey: "", channels: null, channelsError: null, dirty: false, formKey: "",
    });

    // ------------------------------------------------------------ header and facts

    function fact(dd, main, sub, className) {
      let value = dd.firstChild;
      let note = value && value.nextSibling;
      if (!value) {
        value = el("span", { class: "fact-value" });
        note = el("span", { class: "fact-sub" });
        dd.append(value, note);
      }
      setText(value, main);
      value.className = `fact-value${className ? ` ${className}` : ""}`;
      setText(note, sub || "");
      note.hidden = !sub;
    }

    function renderMonitor(now) {
      const m = page.monitor;
      const status = displayStatus(m);
      const badges = [statusBadge(status), ...extraBadges(m, now)];
      const key = badgesKey(badges);
      if (page.badgesKey !== key) {
        page.badgesKey = key;
        ui.badges.replaceChildren(...badges);
      }
      ui.badges.dataset.status = status;
      const paused = status === "paused";
      setPauseButton(ui.toggle, m.slug, paused);
      setAttr(ui.remove, "aria-label", `Delete ${m.slug}`);

      setText(ui.words, W.expectation(m));
      const scheduled = W.scheduled(m);
      setText(ui.settingLabel, scheduled ? "Schedule" : "Interval");
      let settingNote = Number.isFinite(m.interval_secs) ? `${m.interval_secs} s` : "";
      if (scheduled) settingNote = `cron, ${m.tz || "UTC"}`;
      fact(ui.setting, W.setting(m), settingNote, "mono");
      const grace = Number.isFinite(m.grace_secs) && m.grace_secs > 0 ? `${span(m.grace_secs)} grace` : "no grace";
      fact(ui.maxRuntime, Number.isFinite(m.max_runtime_secs) ? span(m.max_runtime_secs) : "no limit",
           Number.isFinite(m.max_runtime_secs) ? "a run still going by then alerts" : "", "");

      if (Number.isFinite(m.last_ping)) fact(ui.lastPing, ago(m.last_ping, now), utc(m.last_ping), "");
      else fact(ui.lastPing, "never", "no successful ping yet", "never");

      const due = dueText(m, status, now);
      let dueSub = Number.isFinite(m.next_due) && !paused ? utc(m.next_due) : due.title || "";
      if (scheduled && m.tz && m.tz !== "UTC" && Number.isFinite(m.next_due) && !paused) {
        dueSub = inZone(m.next_due, m.tz) ?? dueSub;
      }
      fact(ui.nextDue, due.text, dueSub, due.late ? "late" : "");

      if (paused) fact(ui.alertAt, "not while paused", grace, "never");
      else if (Number.isFinite(m.alert_at)) {
        const diff = m.alert_at - now;
        fact(ui.alertAt, diff >= 0 ? `in ${span(diff)}` : `since ${ago(m.alert_at, now)}`,
             `${utc(m.alert_at)}, ${grace}`, diff < 0 ? "late" : "");
      } else fact(ui.alertAt, "—", grace, "never");

      if (m.running === true && Number.isFinite(m.last_start)) {
        fact(ui.lastRun, `running for ${span(now - m.last_start)}`, `started ${utc(m.last_start)}`, "");
      } else if (Number.isFinite(m.last_duration_ms)) {
        const code = Number.isFinite(m.last_exit_code) ? `exit code ${m.last_exit_code}` : "";
        fact(ui.lastRun, runDuration(m.last_duration_ms), code,
             Number.isFinite(m.last_exit_code) && m.last_exit_code !== 0 ? "bad" : "");
      } else {
        fact(ui.lastRun, "none timed", Number.isFinite(m.last_exit_code) ? `exit code ${m.last_exit_code}` : "",
             "never");
      }

      const count = Number.isFinite(m.alert_count) ? m.alert_count : 0;
      fact(ui.alerts, String(count),
           Number.isFinite(m.last_alerted_at) && m.last_alerted_at ? `last ${ago(m.last_alerted_at, now)}` : "",
           count === 0 ? "never" : "");
      renderAlerting(now);
    }

    // ------------------------------------------------------------ alerts: policies, snooze

    // The policy in one sentence: "Alerts go to all of the project's channels at the first
    // missed deadline or failure, and repeat every hour while it stays down."
    function policySentence(m) {
      let repeat = "repeat at the server's default interval while it stays down";
      if (m.repeat_secs === 0) repeat = "never repeat";
      else if (Number.isFinite(m.repeat_secs)) repeat = `repeat ${W.repeatWords(m.repeat_secs)} while it stays down`;
      return `Alerts go to ${W.channelsWords(m.channels)} ${W.downAfterWords(m.down_after)}, and ` +
             `${repeat}${m.acknowledged === true ? " (acknowledged: no more repeats until it recovers)" : ""}.`;
    }

    function renderAlerting(now) {
      const m = page.monitor;
      const ro = readOnly();
      setText(ui.policyWords, policySentence(m));
      const isSnoozed = W.snoozed(m, now);
      setText(ui.snoozeState, isSnoozed ? `Alerts are ${W.snoozeWords(m.snoozed_until, now)}: they go out then ` +
              "if it is still down; a recovery is never held."
        : ro ? "Not snoozed." : "Not snoozed. A snooze holds its alerts for a while; its state is kept.");
      ui.snoozeState.classList.toggle("is-snoozed", isSnoozed);
      ui.snoozeActions.hidden = ro;
      ui.unsnooze.hidden = !isSnoozed;
      setAttr(ui.unsnooze, "aria-label", `Unsnooze ${m.slug}`);
      ui.policy.hidden = ro;
      if (!ro && !page.dirty) fillPolicy(m);
    }

    // The form from the monitor and the project's channels, unless that is what it shows.
    function fillPolicy(m) {
      const key = JSON.stringify([m.channels, m.repeat_secs, m.down_after, page.channels]);
      if (key === page.formKey) return;
      page.formKey = key;
      const chosen = Array.isArray(m.channels) ? m.channels.map(String) : null;
      ui.channelsAll.checked = chosen === null;
      ui.channelsSome.checked = chosen !== null;
      // The project's channels, and any this monitor names that the project no longer has.
      const names = [...(page.channels || [])];
      for (const name of chosen || []) if (!names.includes(name)) names.push(name);
      ui.channelBoxes.replaceChildren(...names.map((name) => {
        const gone = page.channels !== null && !page.channels.includes(name);
        const box = el("input", { type: "checkbox", name: "mp-channel", value: name });
        box.checked = chosen !== null && chosen.includes(name);
        return el("label", { class: "choice choice-box" }, box,
                  el("span", { class: "slug", text: name }),
                  ...(gone ? [el("span", { class: "muted", text: " (removed)" })] : []));
      }));
      noteChannels();
      syncBoxes();

      const options = [];
      if (!Number.isFinite(m.repeat_secs)) {
        // The server's default cannot be chosen again once changed: the API takes a length or never.
        options.push(el("option", { value: "", text: "the server's default" }));
      }
      for (const value of REPEATS) options.push(el("option", { value, text: W.every(REPEAT_SECS[value]) }));
      options.push(el("option", { value: "never", text: "never" }));
      let current = "";
      if (m.repeat_secs === 0) current = "never";
      else if (Number.isFinite(m.repeat_secs) && m.repeat_secs > 0) {
        current = REPEATS.find((v) => REPEAT_SECS[v] === m.repeat_secs) ?? W.interval(m.repeat_secs);
        if (!REPEATS.includes(current)) {
          options.unshift(el("option", { value: current, text: W.every(m.repeat_secs) }));
        }
      }
      ui.repeat.replaceChildren(...options);
      ui.repeat.value = current;
      ui.downAfter.value = String(Number.isFinite(m.down_after) && m.down_after >= 1 ? m.down_after : 1);
      ui.policyError.hidden = true;
    }

    function noteChannels() {
      let note = "";
      if (page.channelsError) note = `Could not load the project's channels: ${page.channelsError.message}`;
      else if (page.channels && page.channels.length === 0) {
        note = "The project has no channel yet: add one on the Channels page.";
      }
      setText(ui.channelsNote, note);
      ui.channelsNote.hidden = note === "";
    }

    // The boxes count only when "Only these" is chosen.
    function syncBoxes() {
      for (const box of ui.channelBoxes.querySelectorAll("input")) box.disabled = !ui.channelsSome.checked;
    }

    // The PUT body from the form: { body } or { error, field }.
    function policyBody() {
      const body = {};
      if (ui.channelsAll.checked) body.channels = null;
      else {
        body.channels = [...ui.channelBoxes.querySelectorAll("input:checked")].map((b) => b.value);
        if (body.channels.length === 0) {
          return { error: "Choose at least one channel, or all of them. (To silence it for a while, snooze it.)",
                   field: ui.channelsSome };
        }
      }
      if (ui.repeat.value !== "") body.repeat = ui.repeat.value;
      const n = Number(ui.downAfter.value);
      if (!Number.isInteger(n) || n < 1 || n > MAX_DOWN_AFTER) {
        return { error: `Alert after: a whole number from 1 to ${MAX_DOWN_AFTER}.`, field: ui.downAfter };
      }
      body.down_after = n;
      return { body };
    }

    async function savePolicy(event) {
      event.preventDefault();
      if (!page || !page.monitor || readOnly()) return;
      const slug = page.slug;
      const { body, error, field } = policyBody();
      if (error) {
        setText(ui.policyError, error);
        ui.policyError.hidden = false;
        field.focus();
        return;
      }
      ui.policyError.hidden = true;
      ui.policySave.disabled = true;
      try {
        await api("PUT", monitorPath(slug), { body });
        if (page && page.slug === slug) {
          page.dirty = false;
          page.formKey = "";
        }
        toast(`Saved the alert settings of ${slug}.`, "ok");
      } catch (err) {
        if (err.kind === "unauthorized") {
          keyRefused();
          return;
        }
        const message = err.status === 404 ? "That monitor no longer exists."
          : err.kind === "network" ? "The server is not answering: nothing was changed."
            : `The server refused it: ${err.message}`;
        if (page && page.slug === slug) {
          setText(ui.policyError, message);
          ui.policyError.hidden = false;
        }
      } finally {
        ui.policySave.disabled = false;
      }
      await refresh();
    }

    // Snooze for `length` ("1h", "4h", "24h"), or unsnooze (length null).
    async function snooze(button, length) {
      if (!page || readOnly()) return;
      const slug = page.slug;
      button.disabled = true;
      try {
        if (length) {
          await api("POST", `${monitorPath(slug)}/snooze?for=${encodeURIComponent(length)}`);
          toast(`Snoozed ${slug} for ${SNOOZES[length] ?? length}.`, "ok");
        } else {
          await api("POST", `${monitorPath(slug)}/unsnooze`);
          toast(`Unsnoozed ${slug}: its alerts go out again.`, "ok");
        }
      } catch (err) {
        if (err.kind === "unauthorized") {
          keyRefused();
          return;
        }
        if (err.status === 404) toast("That monitor no longer exists.", "error");
        else if (err.kind === "network") toast("The server is not answering: nothing was changed.", "error");
        else toast(`Could not do that: ${err.message}`, "error");
      } finally {
        button.disabled = false;
      }
      await refresh();
    }

    // ------------------------------------------------------------ history

    function createPingRow(p) {
      const kind = KINDS[p.kind] ? p.kind : "log";
      const at = seconds(p.at);
      const time = el("time", { class: "when" });
      if (typeof p.at === "string") time.setAttribute("datetime", p.at);
      const kindBadge = badge(`kind-${kind}`, KINDS[kind].icon, typeof p.kind === "string" ? p.kind : "?",
                              KINDS[kind].title);
      const exit = Number.isFinite(p.exit_code) ? String(p.exit_code) : "—";
      const duration = Number.isFinite(p.duration_ms) ? runDuration(p.duration_ms) : "—";
      const source = el("div", { class: "source" },
        el("span", { class: "source-main" },
           el("span", { class: "method", text: typeof p.method === "string" ? p.method : "" }),
           ` ${typeof p.remote_addr === "string" ? p.remote_addr : ""}`));
      if (typeof p.user_agent === "string" && p.user_agent) {
        source.append(el("span", { class: "source-agent", title: p.user_agent, text: p.user_agent }));
      }
      const tr = el("tr", { class: `ping ping-${kind}`, dataset: { n: String(p.n), kind } },
        el("td", { class: "cell-n num", dataset: { label: "#" }, text: String(p.n) }),
        el("td", { class: "cell-at", dataset: { label: "Time" } }, time,
           el("span", { class: "sub", text: at === null ? String(p.at) : exact(p.at, at) })),
        el("td", { class: "cell-kind", dataset: { label: "Kind" } }, kindBadge),
        el("td", { class: `cell-exit num${exit !== "—" && exit !== "0" ? " bad" : ""}${exit === "—" ? " none" : ""}`,
                   dataset: { label: "Exit code" }, text: exit }),
        el("td", { class: `cell-duration num${duration === "—" ? " none" : ""}`, dataset: { label: "Duration" },
                   text: duration }),
        el("td", { class: "cell-source", dataset: { label: "Source" } }, source));
      const rec = { n: p.n, tr, time, at, detail: null, button: null, pre: null, note: null };
      const bodyCell = el("td", { class: "cell-body", dataset: { label: "Body" } });
      const size = Number.isFinite(p.body_bytes) ? p.body_bytes : 0;
      if (size > 0) {
        const id = `mp-body-${p.n}`;
        rec.button = el("button", {
          type: "button", class: "btn btn-small body-toggle", "aria-expanded": "false",
          "aria-controls": id, "aria-label": `Show the body of ping ${p.n} (${size} bytes)`,
        }, el("span", { class: "chev", "aria-hidden": "true", text: "▸" }), el("span", { text: bytes(size) }));
        rec.button.addEventListener("click", () => toggleBody(rec));
        bodyCell.append(rec.button);
        rec.note = el("p", { class: "body-note" });
        rec.pre = el("pre", { class: "body-text", tabindex: "0", "aria-label": `Body of ping ${p.n}` });
        rec.detail = el("tr", { class: "ping-detail", id, dataset: { n: String(p.n) } },
                        el("td", { colspan: "7" }, rec.note, rec.pre));
        rec.detail.hidden = true;
      } else {
        bodyCell.append(el("span", { class: "none", text: "none" }));
      }
      tr.append(bodyCell);
      return rec;
    }

    function toggleBody(rec) {
      const open = rec.detail.hidden;
      rec.detail.hidden = !open;
      rec.button.setAttribute("aria-expanded", String(open));
      setAttr(rec.button, "aria-label", `${open ? "Hide" : "Show"} the body of ping ${rec.n}`);
      // A body is fetched on the first opening, and again only after an error (data-state).
      const state = rec.detail.dataset.state;
      if (open && (state === undefined || state === "error")) loadBody(rec);
    }

    // Sets the detail's data-state: loading, then text, binary, pruned or error.
    async function loadBody(rec) {
      const slug = page.slug;
      rec.detail.dataset.state = "loading";
      setText(rec.note, "Loading…");
      rec.note.className = "body-note";
      rec.pre.hidden = true;
      let state = "error";
      let note = "";
      let text = null;
      try {
        const buffer = await api("GET", `${monitorPath(slug)}/pings/${encodeURIComponent(rec.n)}/body`,
                                 { as: "bytes" });
        const data = new Uint8Array(buffer);
        try {
          text = new TextDecoder("utf-8", { fatal: true }).decode(data);
          state = "text";
          note = `${bytes(data.length)} of text`;
        } catch (err) {
          text = new TextDecoder("utf-8").decode(data);
          state = "binary";
          note = `${bytes(data.length)}, not valid UTF-8: the bytes that are not text show as �.`;
        }
        if (data.length === 0) note = "The body is empty.";
      } catch (err) {
        if (err.status === 404) {
          state = "pruned";
          note = "This body is no longer stored: only the newest bodies are kept.";
        } else if (err.kind === "unauthorized") {
          note = "The key was not accepted.";
        } else if (err.kind === "network") {
          note = "The server is not answering: close and open the row to try again.";
        } else {
          note = `Could not load the body: ${err.message}. Close and open the row to try again.`;
        }
      }
      if (!page || page.slug !== slug) return;
      rec.detail.dataset.state = state;
      setText(rec.note, note);
      rec.note.className = `body-note${state === "text" ? "" : ` body-note-${state === "binary" ? "warn" : "bad"}`}`;
      if (text !== null && text !== "") {
        rec.pre.textContent = text; // never innerHTML: a body is whatever the client sent
        rec.pre.hidden = false;
      }
    }

    function renderHistory(now) {
      const pings = page.pings;
      const seen = new Set();
      let cursor = ui.rows.firstChild;
      for (const p of pings) {
        seen.add(p.n);
        let rec = page.rows.get(p.n);
        if (!rec) {
          rec = createPingRow(p);
          page.rows.set(p.n, rec);
        }
        for (const tr of rec.detail ? [rec.tr, rec.detail] : [rec.tr]) {
          if (cursor === tr) cursor = cursor.nextSibling;
          else ui.rows.insertBefore(tr, cursor);
        }
      }
      for (const [n, rec] of page.rows) {
        if (!seen.has(n)) {
          rec.tr.remove();
          if (rec.detail) rec.detail.remove();
          page.rows.delete(n);
        }
      }
      renderHistoryTimes(now);
      const count = pings.length;
      ui.history.parentElement.hidden = false;
      ui.history.classList.toggle("is-empty", count === 0);
      ui.historyEmpty.hidden = count !== 0;
      setText(ui.historySummary, count === 0 ? ""
        : `${count} ${count === 1 ? "entry" : "entries"}, newest first` +
          (count >= HISTORY_LIMIT ? ` (the newest ${HISTORY_LIMIT})` : ""));
      ui.historySummary.classList.remove("is-error");
    }

    function renderHistoryTimes(now) {
      for (const rec of page.rows.values()) {
        setText(rec.time, rec.at === null ? "—" : ago(rec.at, now));
      }
    }

    // ------------------------------------------------------------ run durations

    function renderChart() {
      const runs = page.pings.filter((p) => Number.isFinite(p.duration_ms)).reverse(); // oldest first
      const m = page.monitor;
      const maxMs = m && Number.isFinite(m.max_runtime_secs) ? m.max_runtime_secs * 1000 : null;
      const width = Math.max(240, Math.floor(ui.chart.clientWidth || 600));
      const key = `${width}|${maxMs}|${runs.map((p) => `${p.n}:${p.duration_ms}:${p.kind}`).join(",")}`;
      if (key === page.chartKey) return;
      page.chartKey = key;
      ui.chartEmpty.hidden = runs.length > 0;
      ui.chart.hidden = runs.length === 0;
      if (runs.length === 0) {
        ui.chart.replaceChildren();
        setText(ui.chartSummary, "");
        return;
      }
      const values = runs.map((p) => p.duration_ms);
      const sorted = [...values].sort((a, b) => a - b);
      const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      const longest = sorted[sorted.length - 1];
      setText(ui.chartSummary, `${runs.length} run${runs.length === 1 ? "" : "s"} · median ` +
              `${runDuration(median)} · longest ${runDuration(longest)}`);

      const top = axisTop(maxMs !== null && maxMs <= longest * 1.5 ? Math.max(longest, maxMs) : longest);
      const labels = ["0", runDuration(top / 2), runDuration(top)];
      const height = 168;
      const pad = { left: Math.ceil(12 + 6.5 * Math.max(...labels.map((l) => l.length))), right: 10,
                    top: 12, bottom: 24 };
      const plotW = width - pad.left - pad.right;
      const plotH = height - pad.top - pad.bottom;
      const y = (v) => pad.top + plotH - (v / top) * plotH;
      const root = svgEl("svg", {
        class: "chart-svg", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
        "aria-label": `Run durations, oldest first: ${runs.length} runs, median ${runDuration(median)}, ` +
                      `longest ${runDuration(longest)}, latest ${runDuration(values[values.length - 1])}`,
      });
      [0, top / 2, top].forEach((v, i) => {
        root.append(svgEl("line", { class: "grid", x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }),
                    svgEl("text", { class: "axis", x: pad.left - 6, y: y(v) + 4, "text-anchor": "end" },
                          labels[i]));
      });
      if (maxMs !== null && maxMs <= top) {
        root.append(svgEl("line", { class: "limit", x1: pad.left, x2: width - pad.right, y1: y(maxMs), y2: y(maxMs) },
                          svgTitle(`Max run time ${span(maxMs / 1000)}`)),
                    svgEl("text", { class: "axis limit-label", x: width - pad.right, y: y(maxMs) - 4,
                                    "text-anchor": "end" }, `max ${span(maxMs / 1000)}`));
      }
      const slot = plotW / runs.length;
      const barW = Math.max(2, Math.min(28, slot * 0.7));
      runs.forEach((p, i) => {
        const h = Math.max(1, (p.duration_ms / top) * plotH);
        const bad = p.kind === "fail" || (Number.isFinite(p.exit_code) && p.exit_code !== 0);
        const at = seconds(p.at);
        root.append(svgEl("rect", {
          class: `bar ${bad ? "bar-fail" : "bar-ok"}`, x: (pad.left + i * slot + (slot - barW) / 2).toFixed(1),
          y: (pad.top + plotH - h).toFixed(1), width: barW.toFixed(1), height: h.toFixed(1), rx: 2,
          "data-n": p.n, "data-ms": p.duration_ms,
        }, svgTitle(`#${p.n}: ${runDuration(p.duration_ms)}` +
                    `${Number.isFinite(p.exit_code) ? `, exit code ${p.exit_code}` : ""}` +
                    `${at === null ? "" : `, ${utc(Math.floor(at))}`}`)));
      });
      // The first and last run's times: "12-07 03:00", or "03:00:12" when all on one day.
      const first = seconds(runs[0].at);
      const last = seconds(runs[runs.length - 1].at);
      const oneDay = first !== null && last !== null && utc(first).slice(0, 10) === utc(last).slice(0, 10);
      const label = (t) => (oneDay ? utc(Math.floor(t)).slice(11, 19) : utc(Math.floor(t)).slice(5, 16));
      if (first !== null) {
        root.append(svgEl("text", { class: "axis", x: pad.left, y: height - 6 }, label(first)));
      }
      if (last !== null && runs.length > 1) {
        root.append(svgEl("text", { class: "axis", x: width - pad.right, y: height - 6, "text-anchor": "end" },
                          label(last)));
      }
      ui.chart.replaceChildren(root);
    }

    // ------------------------------------------------------------ status timeline

    // The status changes as spans of time, from the monitor's creation (or 90 days ago)
    // until now: [{from, to, status}], no two neighbours with the same status.
    function segments(flips, m, now) {
      const since = now - TIMELINE_DAYS * 86400;
      const created = m && Number.isFinite(m.created_at) ? m.created_at : since;
      const start = Math.min(Math.max(since, created), now - 1);
      const list = flips
        .map((f) => ({ at: seconds(f && f.at), status: f && f.status }))
        .filter((f) => f.at !== null && (f.status === "ok" || f.status === "overdue"))
        .sort((a, b) => a.at - b.at);
      const before = list.filter((f) => f.at <= start);
      const inside = list.filter((f) => f.at > start && f.at <= now);
      let status;
      if (before.length) status = before[before.length - 1].status;
      else if (inside.length) status = inside[0].status === "ok" ? "overdue" : "ok";
      else status = m && ["overdue", "failed"].includes(displayStatus(m)) ? "overdue" : "ok";
      const out = [];
      let from = start;
      for (const f of inside) {
        if (f.status === status) continue;
        if (f.at > from) out.push({ from, to: f.at, status });
        from = f.at;
        status = f.status;
      }
      out.push({ from, to: now, status });
      return { start, created: start === created, segments: out };
    }

    function renderTimeline(now) {
      const { start, created, segments: segs } = segments(page.flips, page.monitor, now);
      const width = Math.max(240, Math.floor(ui.timeline.clientWidth || 600));
      const key = `${width}|${Math.floor(now / 5)}|${segs.map((s) => `${s.from}:${s.status}`).join(",")}`;
      if (key === page.timelineKey) return;
      page.timelineKey = key;
      const total = now - start;
      const okTime = segs.filter((s) => s.status === "ok").reduce((sum, s) => sum + (s.to - s.from), 0);
      const overdueCount = segs.filter((s) => s.status === "overdue").length;
      let pct = (okTime / total) * 100;
      pct = pct < 100 && pct > 99.9 ? "99.9" : pct.toFixed(pct === 100 || pct === 0 ? 0 : 1);
      setText(ui.timelineSummary, `ok ${pct}% of the time · ` +
              (overdueCount === 0 ? "never overdue" : `overdue ${overdueCount} time${overdueCount === 1 ? "" : "s"}`));
      const height = 52;
      const band = { top: 4, height: 26 };
      const x = (t) => ((t - start) / total) * width;
      const root = svgEl("svg", {
        class: "timeline-svg", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
        "aria-label": `Status since ${created ? "its creation" : `${TIMELINE_DAYS} days ago`}: ` +
                      `${ui.timelineSummary.textContent}`,
      });
      for (const s of segs) {
        const x0 = x(s.from);
        const w = Math.max(2, x(s.to) - x0);
        root.append(svgEl("rect", {
          class: `seg seg-${s.status}`, x: Math.min(x0, width - w).toFixed(1), y: band.top, width: w.toFixed(1),
          height: band.height, "data-status": s.status, "data-from": Math.round(s.from), "data-to": Math.round(s.to),
        }, svgTitle(`${s.status} from ${utc(Math.floor(s.from))} for ${span(s.to - s.from)}`)));
      }
      root.append(
        svgEl("text", { class: "axis", x: 0, y: height - 6 },
              created ? `created ${utc(Math.floor(start)).slice(0, 16)}` : `${TIMELINE_DAYS} days ago`),
        svgEl("text", { class: "axis", x: width, y: height - 6, "text-anchor": "end" }, "now"));
      // The same spans as a list, for screen readers.
      const list = el("ul", { class: "visually-hidden" },
        ...segs.map((s) => el("li", { text: `${s.status} from ${utc(Math.floor(s.from))} for ${span(s.to - s.from)}` })));
      ui.timeline.replaceChildren(root, list);
    }

    // ------------------------------------------------------------ what app.js calls

    function clear() {
      page = null;
      ui.rows.replaceChildren();
      ui.chart.replaceChildren();
      ui.timeline.replaceChildren();
      ui.badges.replaceChildren();
    }

    function open(slug) {
      clear();
      page = fresh(slug);
      setText(ui.slug, slug);
      setText(ui.missingSlug, slug);
      setText(ui.words, "");
      for (const dd of [ui.setting, ui.maxRuntime, ui.lastPing, ui.nextDue, ui.alertAt, ui.lastRun, ui.alerts]) {
        dd.replaceChildren();
      }
      setText(ui.historySummary, "Loading…");
      setText(ui.policyWords, "");
      setText(ui.snoozeState, "");
      ui.channelBoxes.replaceChildren();
      ui.channelsNote.hidden = true;
      ui.policyError.hidden = true;
      setText(ui.chartSummary, "");
      setText(ui.timelineSummary, "");
      ui.historyEmpty.hidden = true;
      ui.history.parentElement.hidden = true; // until the history comes
      ui.chartEmpty.hidden = true;
      ui.missing.hidden = true;
      ui.body.hidden = false;
      window.scrollTo(0, 0);
    }

    // m: the monitor from the last list (null when absent); loaded: whether a list has come.
    function applyMonitor(m, loaded) {
      if (!page) return;
      if (!m) {
        ui.missing.hidden = !loaded;
        ui.body.hidden = loaded;
        page.monitor = null;
        return;
      }
      ui.missing.hidden = true;
      ui.body.hidden = false;
      page.monitor = m;
      renderMonitor(Date.now() / 1000);
    }

    // The history and the status changes, read while the list is: errors come back as values.
    async function fetchDetail(slug) {
      const base = monitorPath(slug);
      const [pings, flips, channels] = await Promise.allSettled([
        api("GET", `${base}/pings?limit=${HISTORY_LIMIT}`),
        api("GET", `${base}/flips`),
        // The project's channels, for the form's boxes: a read-only key has no form.
        readOnly() ? Promise.resolve(null) : api("GET", "/channels"),
      ]);
      const out = { slug, pings: null, pingsError: null, flips: null, flipsError: null, channels: null,
                    channelsError: null, unauthorized: null };
      for (const [name, result] of [["pings", pings], ["flips", flips], ["channels", channels]]) {
        if (name === "channels" && result.status === "fulfilled" && result.value === null) continue; // not asked
        if (result.status === "fulfilled") {
          const list = result.value && Array.isArray(result.value[name]) ? result.value[name] : [];
          out[name] = list.filter((x) => x && typeof x === "object");
        } else if (result.reason && result.reason.kind === "unauthorized") {
          out.unauthorized = result.reason;
        } else {
          out[`${name}Error`] = result.reason;
        }
      }
      if (out.pings) out.pings = out.pings.filter((p) => Number.isFinite(p.n));
      if (out.channels) {
        out.channels = out.channels.filter((c) => typeof c.name === "string").map((c) => c.name).sort();
      }
      return out;
    }

    function applyDetail(detail) {
      if (!page || detail.slug !== page.slug) return;
      const now = Date.now() / 1000;
      if (detail.pings) {
        page.pings = detail.pings;
        renderHistory(now);
        renderChart();
      } else if (detail.pingsError) {
        const missing = detail.pingsError.status === 404;
        setText(ui.historySummary, missing ? "No history for this monitor."
          : `Could not load the history: ${detail.pingsError.message}`);
        ui.historySummary.classList.toggle("is-error", !missing);
      }
      if (detail.flips) {
        page.flips = detail.flips;
        renderTimeline(now);
      } else if (detail.flipsError) {
        setText(ui.timelineSummary, `Could not load the status changes: ${detail.flipsError.message}`);
      }
      if (detail.channels || detail.channelsError) {
        page.channels = detail.channels ?? page.channels;
        page.channelsError = detail.channels ? null : detail.channelsError;
        if (page.monitor) renderAlerting(now);
        noteChannels();
      }
    }

    function renderTimes(now) {
      if (!page) return;
      if (page.monitor) renderMonitor(now);
      if (page.pings) renderHistoryTimes(now);
    }

    function focusTitle() {
      ui.title.focus({ preventScroll: true });
    }

    ui.toggle.addEventListener("click", () => {
      if (page) runAction(ui.toggle, ui.toggle.dataset.action, page.slug);
    });
    ui.remove.addEventListener("click", () => {
      if (page) runAction(ui.remove, "delete", page.slug);
    });
    for (const button of ui.snoozeButtons) {
      button.addEventListener("click", () => snooze(button, button.dataset.snooze));
    }
    ui.unsnooze.addEventListener("click", () => snooze(ui.unsnooze, null));
    ui.policy.addEventListener("submit", savePolicy);
    // A change makes the form the user's until saved or undone: the refresh leaves it alone.
    ui.policy.addEventListener("input", () => {
      if (page) page.dirty = true;
    });
    ui.policy.addEventListener("change", () => {
      if (page) page.dirty = true;
      syncBoxes();
    });
    ui.policyReset.addEventListener("click", () => {
      if (!page || !page.monitor) return;
      page.dirty = false;
      page.formKey = "";
      fillPolicy(page.monitor);
    });
    // Charts are drawn to the pixel width they have: drawn again when it changes.
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => {
        if (!page) return;
        if (page.pings) renderChart();
        if (page.flips) renderTimeline(Date.now() / 1000);
      }).observe(ui.body);
    }

    const current = () => (page ? page.slug : null);

    return { open, clear, current, applyMonitor, fetch: fetchDetail, applyDetail, renderTimes, focusTitle };
  }

  window.HeartbeatMonitorPage = { create };
})();
