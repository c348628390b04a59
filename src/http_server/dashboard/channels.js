// The project's alert channels (#/channels): the list of GET /channels with each channel's
// kind and the settings the server shows (never a secret whole), "Send test" (POST
// /channels/{name}/test, its answer shown in the row), removal after a confirmation, and
// a form that adds one, with the fields of the chosen kind. app.js owns the key, the
// refresh loop and the confirmation dialog, and hands them in (create(deps)). A read-only
// key is shown the list only. Data goes into the page through textContent and attributes,
// never HTML.
"use strict";

(() => {
  const W = window.HeartbeatWords;
  const { utc, ago, kindName, channelSettings, channelName, parseHeaders, parseRecipients } = W;

  const URL_KINDS = new Set(["webhook", "slack", "discord", "mattermost", "teams", "ntfy"]);
  const URL_LABELS = {
    webhook: "URL",
    slack: "Slack webhook URL",
    discord: "Discord webhook URL",
    mattermost: "Mattermost webhook URL",
    teams: "Teams webhook URL",
    ntfy: "ntfy topic URL",
  };

  function create(deps) {
    const { api, el, setText, setAttr, confirmDialog, toast, keyRefused, readOnly, project } = deps;
    const $ = (id) => document.getElementById(id);
    const ui = {
      view: $("channels-view"), title: $("ch-title"), project: $("ch-project"), summary: $("ch-summary"),
      table: $("ch-table"), rows: $("ch-rows"), empty: $("ch-empty"), emptyText: $("ch-empty-text"),
      add: $("ch-add"), form: $("ch-form"), name: $("ch-name"), kind: $("ch-kind"), url: $("ch-url"),
      urlLabel: $("ch-url-label"), method: $("ch-method"), headers: $("ch-headers"), body: $("ch-body"),
      bodyRow: $("ch-body-row"), botToken: $("ch-bot-token"), chatId: $("ch-chat-id"), to: $("ch-to"), error: $("ch-form-error"),
      submit: $("ch-submit"),
    };
    ui.groups = [...ui.form.querySelectorAll("[data-kinds]")];

    let shown = false; // the view is open
    let list = null; // the last GET /channels, or null before the first
    let generation = 0; // a newer load makes an older answer stale
    let loadedAt = 0; // when the last load began (Date.now())
    const rows = new Map(); // name -> row record
    const results = new Map(); // name -> the last test's { state: pending|ok|error, text }, kept across refreshes

    // ------------------------------------------------------------ the list

    function createRow(name) {
      const kind = el("span", { class: "badge badge-kind" });
      const settings = el("span", { class: "ch-settings" });
      const added = el("time", { class: "when" });
      const result = el("span", { class: "ch-result", role: "status", "aria-live": "polite" });
      const actions = el("div", { class: "actions" });
      let test = null;
      let remove = null;
      if (!readOnly()) {
        test = el("button", { type: "button", class: "btn btn-small", dataset: { action: "test" },
                              "aria-label": `Send a test message to ${name}`, text: "Send test" });
        remove = el("button", { type: "button", class: "btn btn-small btn-danger-ghost",
                                dataset: { action: "remove" }, "aria-label": `Remove ${name}`, text: "Remove" });
        test.addEventListener("click", () => sendTest(name, test));
        remove.addEventListener("click", () => removeChannel(name, remove));
        actions.append(test, remove);
      }
      const tr = el("tr", { dataset: { name } },
        el("th", { scope: "row", class: "cell-name", dataset: { label: "Name" } },
           el("span", { class: "slug", text: name })),
        el("td", { class: "cell-kind", dataset: { label: "Kind" } }, kind),
        el("td", { class: "cell-settings", dataset: { label: "Settings" } }, settings),
        el("td", { class: "cell-added", dataset: { label: "Added" } }, added),
        el("td", { class: "cell-actions" }, actions, result));
      return { tr, kind, settings, added, result, test, remove, channel: null };
    }

    function updateRow(row, ch, now) {
      row.channel = ch;
      setText(row.kind, kindName(ch.kind));
      row.kind.dataset.kind = String(ch.kind);
      setText(row.settings, channelSettings(ch) || "—");
      if (Number.isFinite(ch.created_at)) {
        setText(row.added, ago(ch.created_at, now));
        setAttr(row.added, "datetime", new Date(ch.created_at * 1000).toISOString());
        setAttr(row.added, "title", utc(ch.created_at));
      } else {
        setText(row.added, ch.source === "environment" ? "environment" : "—");
      }
      // The environment's channel is the server's settings: it is tested, not removed here.
      if (row.remove) row.remove.hidden = ch.source === "environment";
      const result = results.get(ch.name);
      setText(row.result, result ? result.text : "");
      row.result.dataset.state = result ? result.state : "";
      row.result.hidden = !result;
    }

    function render() {
      if (!list) return;
      const now = Date.now() / 1000;
      const seen = new Set();
      let cursor = ui.rows.firstChild;
      for (const ch of list) {
        seen.add(ch.name);
        let row = rows.get(ch.name);
        if (!row) {
          row = createRow(ch.name);
          rows.set(ch.name, row);
        }
        updateRow(row, ch, now);
        if (cursor === row.tr) cursor = cursor.nextSibling;
        else ui.rows.insertBefore(row.tr, cursor);
      }
      for (const [name, row] of rows) {
        if (!seen.has(name)) {
          row.tr.remove();
          rows.delete(name);
          results.delete(name);
        }
      }
      const n = list.length;
      setText(ui.summary, n === 0 ? "" : `${n} channel${n === 1 ? "" : "s"}`);
      ui.summary.classList.remove("is-error");
      ui.table.classList.toggle("is-empty", n === 0);
      ui.empty.hidden = n !== 0;
      setText(ui.emptyText, readOnly()
        ? "This project has no channel: its monitors' alerts go nowhere. A read-write key of the project can add one."
        : "This project has no channel: its monitors' alerts go nowhere until one is added below.");
    }

    // GET /channels: the list, drawn; errors are said in the summary (the refresh goes on).
    async function load() {
      const mine = ++generation;
      loadedAt = Date.now();
      try {
        const data = await api("GET", "/channels");
        if (mine !== generation || !shown) return;
        const channels = data && Array.isArray(data.channels) ? data.channels : [];
        list = channels.filter((c) => c && typeof c.name === "string" && typeof c.kind === "string")
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        render();
      } catch (err) {
        if (mine !== generation || !shown) return;
        if (err.kind === "unauthorized") {
          keyRefused();
          return;
        }
        setText(ui.summary, `Could not load the channels: ${err.message}`);
        ui.summary.classList.add("is-error");
      }
    }

    // ------------------------------------------------------------ actions

    async function sendTest(name, button) {
      if (readOnly()) return;
      button.disabled = true;
      results.set(name, { state: "pending", text: "Sending…" });
      render();
      try {
        const answer = await api("POST", `/channels/${encodeURIComponent(name)}/test`);
        if (answer && answer.ok === true) {
          results.set(name, { state: "ok", text: "Sent: the test message went out." });
        } else {
          const why = answer && typeof answer.error === "string" ? answer.error : "no reason given";
          results.set(name, { state: "error", text: `Failed: ${why}` });
        }
      } catch (err) {
        if (err.kind === "unauthorized") {
          keyRefused();
          return;
        }
        results.set(name, { state: "error", text: err.status === 404 ? "Failed: this channel no longer exists."
          : `Failed: ${err.message}` });
      } finally {
        button.disabled = false;
      }
      if (shown) render();
    }

    async function removeChannel(name, button) {
      if (readOnly()) return;
      const yes = await confirmDialog({
        title: `Remove ${name}?`,
        text: "Alerts no longer go to this channel. Monitors that chose it by name keep their other " +
              "channels; one that chose only this one then sends nowhere.",
        ok: "Remove", danger: true,
      });
      if (!yes) return;
      button.disabled = true;
      try {
        await api("DELETE", `/channels/${encodeURIComponent(name)}`);
        toast(`Removed ${name}.`, "ok");
      } catch (err) {
        if (err.kind === "unauthorized") {
          keyRefused();
          return;
        }
        if (err.status === 404) toast(`${name} no longer exists.`, "error");
        else if (err.kind === "network") toast("The server is not answering: nothing was changed.", "error");
        else toast(`Could not remove ${name}: ${err.message}`, "error");
      } finally {
        button.disabled = false;
      }
      await load();
    }

    // ------------------------------------------------------------ the form

    // The chosen kind's fields; a GET webhook sends no body, so it has no body template.
    function showKind() {
      const kind = ui.kind.value;
      for (const group of ui.groups) group.hidden = !group.dataset.kinds.split(" ").includes(kind);
      if (kind === "webhook" && ui.method.value === "GET") ui.bodyRow.hidden = true;
      setText(ui.urlLabel, URL_LABELS[kind] || "URL");
      setAttr(ui.url, "placeholder", kind === "ntfy" ? "https://ntfy.sh/my-topic" : "https://hooks.example.com/…");
    }

    function formError(message, field) {
      setText(ui.error, message);
      ui.error.hidden = false;
      for (const input of ui.form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
      if (field) {
        field.setAttribute("aria-invalid", "true");
        field.focus();
      }
    }

    function clearFormError() {
      ui.error.hidden = true;
      for (const input of ui.form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    }

    // The JSON POST /channels takes, from the form: { body } or { error, field }.
    function formBody() {
      const name = ui.name.value.trim();
      const kind = ui.kind.value;
      if (!channelName(name)) {
        return { error: "A name is 1 to 64 of a-z, 0-9 and - (such as ops or team-slack).", field: ui.name };
      }
      const body = { name, kind };
      if (URL_KINDS.has(kind)) {
        const url = ui.url.value.trim();
        if (!/^(https?:\/\/[^\s/]+|ssm:\S+)/i.test(url)) {
          return { error: "Enter the URL: http://, https://, or ssm:NAME.", field: ui.url };
        }
        body.url = url;
      }
      if (kind === "webhook") {
        body.method = ui.method.value;
        const parsed = parseHeaders(ui.headers.value);
        if (parsed.error) return { error: parsed.error, field: ui.headers };
        if (Object.keys(parsed.headers).length) body.headers = parsed.headers;
        if (body.method !== "GET" && ui.body.value.trim() !== "") body.body = ui.body.value;
      } else if (kind === "telegram") {
        const token = ui.botToken.value.trim();
        const chat = ui.chatId.value.trim();
        if (!token) return { error: "Enter the bot's token (from @BotFather).", field: ui.botToken };
        if (!chat) return { error: "Enter the chat id alerts go to.", field: ui.chatId };
        body.bot_token = token;
        body.chat_id = chat;
      } else if (kind === "email") {
        const to = parseRecipients(ui.to.value);
        if (to.length === 0 || !to.every((a) => /^[^@\s]+@[^@\s]+$/.test(a))) {
          return { error: "Enter one or more e-mail addresses, separated by commas.", field: ui.to };
        }
        body.to = to;
      }
      return { body };
    }

    async function onSubmit(event) {
      event.preventDefault();
      if (readOnly()) return;
      const { body, error, field } = formBody();
      if (error) {
        formError(error, field);
        return;
      }
      clearFormError();
      ui.submit.disabled = true;
      setText(ui.submit, "Adding…");
      try {
        await api("POST", "/channels", { body });
        // The secrets leave the page with the form's values.
        const kind = ui.kind.value;
        ui.form.reset();
        ui.kind.value = kind;
        showKind();
        toast(`Added ${body.name}.`, "ok");
        await load();
        rows.get(body.name)?.tr.scrollIntoView({ block: "nearest" });
      } catch (err) {
        if (err.kind === "unauthorized") {
          keyRefused();
          return;
        }
        if (err.status === 409) formError(`A channel named ${body.name} exists already.`, ui.name);
        else if (err.status === 403) formError(`The server refused: ${err.message}`, null);
        else if (err.kind === "network") formError("The server is not answering: nothing was added.", null);
        else formError(`The server refused it: ${err.message}`, null);
      } finally {
        ui.submit.disabled = false;
        setText(ui.submit, "Add channel");
      }
    }

    // ------------------------------------------------------------ what app.js calls

    function clear() {
      shown = false;
      generation++;
      list = null;
      rows.clear();
      results.clear();
      ui.rows.replaceChildren();
      ui.empty.hidden = true;
      clearFormError();
    }

    // Opens the view for the current key: the form only for a key that may write.
    function open() {
      clear();
      shown = true;
      setText(ui.project, `project ${project()}`);
      setText(ui.summary, "Loading…");
      ui.add.hidden = readOnly();
      showKind();
      load();
    }

    function focusTitle() {
      ui.title.focus({ preventScroll: true });
    }

    ui.kind.addEventListener("change", () => {
      clearFormError();
      showKind();
    });
    ui.method.addEventListener("change", showKind);
    ui.form.addEventListener("submit", onSubmit);
    showKind();

    // The refresh loop's call: the list again, unless a load has just begun (opening the view
    // loads it, and the refresh that follows would ask twice).
    function refresh() {
      if (shown && Date.now() - loadedAt > 2000) load();
    }

    return { open, clear, refresh, renderTimes: () => render(), focusTitle };
  }

  window.HeartbeatChannelsPage = { create };
})();
