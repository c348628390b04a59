// The dashboard's alert channels and a monitor's alert policies in a real browser: the real
// `heartbeat serve` (SQLite in a temporary directory) with a read-write and a read-only key
// of the default project, a webhook sink on loopback started here, driven by Debian's
// chromium through playwright-core. Adds a webhook channel from the Channels page (listed
// without its URL's secret path), sends it a test (the sink receives it), removes another
// after the confirmation, chooses a monitor's channels, repeat and down_after and snoozes
// and unsnoozes it from its page (each checked through the API), and checks that a
// read-only key is shown none of those controls.
//
//   HEARTBEAT_BINARY=build/heartbeat node tests/browser/channels.test.mjs
//
// Exit code 0 when every step passed, 1 otherwise; the last line is "N passed, N failed".
// A missing chromium or playwright-core is a failure, not a skip: scripts/install-deps.sh
// installs both.

import { createServer } from "node:http";
import { addKey, assert, equal, equalJson, heartbeat, serve, sqliteStore, steps } from "../support/harness.mjs";
import { browserPreconditions, launchChromium } from "./chromium.mjs";

const STEP_TIMEOUT_MS = 15000;

const runner = steps({ timeoutMs: STEP_TIMEOUT_MS, timed: true });
const { step, finish } = runner;

// ------------------------------------------------------------------ preconditions

const binary = process.env.HEARTBEAT_BINARY;

let chromium;
await step("preconditions: heartbeat binary, chromium and playwright-core are installed", async () => {
  chromium = await browserPreconditions(binary);
});
if (runner.aborted) finish();

// ------------------------------------------------------------------ the webhook sink

// What the sink received: { method, path, body }, in order. The path holds the secret the
// dashboard must never show.
const SECRET = "s3cr3t-Path-7f41c9";
const received = [];
let sink = null;
let sinkBase = ""; // http://127.0.0.1:<port>
// What the server shows of a URL: its scheme and host, without the port (PublicUrl).
const SHOWN_URL = "http://127.0.0.1";

async function startSink() {
  sink = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ method: req.method, path: req.url, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise((resolve) => sink.listen(0, "127.0.0.1", resolve));
  sinkBase = `http://127.0.0.1:${sink.address().port}`;
}

// ------------------------------------------------------------------ the server

const store = sqliteStore("heartbeat-channels-");

let server = null;
let base = "";
let browser = null;
const keys = {}; // writer, reader

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exit === null) server.kill("SIGKILL");
  if (sink) sink.close();
  store.remove();
}

runner.finishOnUncaught(cleanup);

const cli = (...args) => heartbeat(binary, store.env, ...args);

async function call(method, path, key, body) {
  const headers = { Authorization: `Bearer ${key}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(base + path,
                          { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const monitor = async (slug) => (await call("GET", `/monitors/${slug}`, keys.writer)).body;
// The API's channel names, sorted (the page sorts them too).
const channelNames = async () =>
  (await call("GET", "/channels", keys.writer)).body.channels.map((c) => c.name).sort().join(",");

await step("starts a webhook sink, `heartbeat serve`, a monitor and a Slack channel (through the API)", async () => {
  await startSink();
  cli("store", "init");
  keys.writer = addKey(binary, store.env, "--description", "writer");
  keys.reader = addKey(binary, store.env, "--description", "reader", "--read-only");
  server = serve(binary, store.env);
  base = `http://127.0.0.1:${await server.port}`;
  equal((await call("GET", "/heartbeat/backup?interval=1h", keys.writer)).status, 200, "ping backup");
  const slack = await call("POST", "/channels", keys.writer,
                           { name: "team-slack", kind: "slack", url: `${sinkBase}/slack/${SECRET}` });
  equal(slack.status, 201, `POST /channels team-slack: ${JSON.stringify(slack.body)}`);
  const m = await monitor("backup");
  equal(m.channels, null, "a new monitor's channels: all of the project's");
  equal(m.snoozed_until, null, "not snoozed");
  equal(m.acknowledged, false, "not acknowledged");
});

// ------------------------------------------------------------------ the browser

let page;
const consoleProblems = [];
// Console errors the test provokes on purpose (the browser logs every failed request, such
// as the 409 of a name taken): allowed only while `expected` says so.
let expected = [];

await step("launches chromium and signs in with the read-write key", async () => {
  browser = await launchChromium(chromium);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB",
                                             timezoneId: "UTC" });
  // Collects CSP violations as the page sees them (init scripts are not subject to the CSP).
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (expected.some((re) => re.test(msg.text()))) return;
    consoleProblems.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => consoleProblems.push(`page error: ${err.message}`));
  page.setDefaultTimeout(8000);
  await page.goto(`${base}/`);
  await page.locator("#login-view").waitFor({ state: "visible" });
  await page.fill("#api-key", keys.writer);
  await page.click("#login-submit");
  await page.locator('#monitor-rows tr[data-slug="backup"]').waitFor();
});

const channelRows = () => page.$$eval("#ch-rows tr", (trs) => trs.map((tr) => tr.dataset.name).join(","));
async function waitChannelRows(expected, what) {
  const deadline = Date.now() + 8000;
  let seen = "";
  while (Date.now() < deadline) {
    seen = await channelRows();
    if (seen === expected) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: channel rows ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
}

// Polls the API until `check(monitor)` holds; the last monitor seen otherwise.
async function waitMonitor(slug, check, what) {
  const deadline = Date.now() + 8000;
  let m = null;
  while (Date.now() < deadline) {
    m = await monitor(slug);
    if (check(m)) return m;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: the monitor is ${JSON.stringify(m)}`);
}

await step("the Channels view lists the project's channels, the URL as its scheme and host only", async () => {
  await page.click("#nav-channels");
  await page.locator("#channels-view").waitFor({ state: "visible" });
  equal(await page.getAttribute("#nav-channels", "aria-current"), "page", "the Channels tab is current");
  await waitChannelRows("team-slack", "the Slack channel");
  const row = page.locator('#ch-rows tr[data-name="team-slack"]');
  equal(await row.locator(".badge-kind").textContent(), "Slack", "its kind");
  equal(await row.locator(".ch-settings").textContent(), SHOWN_URL, "its settings: the URL's scheme and host");
  assert(!(await page.content()).includes(SECRET), "the secret path is nowhere in the page");
  assert(await page.locator("#ch-form").isVisible(), "the add form is there for a read-write key");
});

await step("adds a webhook channel from the form: listed, its secret path shown nowhere", async () => {
  await page.fill("#ch-name", "ops-hook");
  await page.selectOption("#ch-kind", "webhook");
  assert(await page.locator("#ch-method").isVisible(), "a webhook's method field");
  assert(await page.locator("#ch-bot-token").isHidden(), "no Telegram field for a webhook");
  await page.fill("#ch-url", `${sinkBase}/hook/${SECRET}`);
  await page.selectOption("#ch-method", "POST");
  await page.fill("#ch-headers", "X-Token: hunter2-header");
  await page.fill("#ch-body", '{"text":"$SLUG is $STATUS"}');
  await page.click("#ch-submit");
  await waitChannelRows("ops-hook,team-slack", "the new channel in the list");
  const row = page.locator('#ch-rows tr[data-name="ops-hook"]');
  equal(await row.locator(".badge-kind").textContent(), "Webhook", "its kind");
  const settings = await row.locator(".ch-settings").textContent();
  assert(settings.startsWith(`POST ${SHOWN_URL}`), `its settings: ${settings}`);
  assert(settings.includes("X-Token"), `its header's name: ${settings}`);
  const html = await page.content();
  assert(!html.includes(SECRET), "the secret path is nowhere in the page");
  assert(!html.includes("hunter2-header"), "the header's value is nowhere in the page");
  equal(await page.inputValue("#ch-url"), "", "the form forgot the URL");
  // The API shows what the page shows: the URL's scheme and host only.
  const listed = (await call("GET", "/channels", keys.writer)).body.channels.find((c) => c.name === "ops-hook");
  equal(listed.kind, "webhook", "the API's kind");
  equal(listed.url, SHOWN_URL, "the API's URL: scheme and host only");
  equal(listed.headers["X-Token"], "(hidden)", "the API's header value");
});

await step("a name taken: the form says so, nothing is added", async () => {
  expected = [/Failed to load resource.*409/];
  await page.fill("#ch-name", "ops-hook");
  await page.selectOption("#ch-kind", "ntfy");
  await page.fill("#ch-url", `${sinkBase}/topic`);
  await page.click("#ch-submit");
  await page.locator("#ch-form-error").waitFor({ state: "visible" });
  assert((await page.textContent("#ch-form-error")).includes("exists already"), "the 409 in words");
  equal(await channelNames(), "ops-hook,team-slack", "still two channels");
  expected = [];
});

await step("Send test: the sink receives it at the secret path, the row says it went out", async () => {
  const before = received.length;
  await page.locator('#ch-rows tr[data-name="ops-hook"] button[data-action="test"]').click();
  // The answer, whichever it is: a failure's words say why.
  const result = page.locator('#ch-rows tr[data-name="ops-hook"] .ch-result:is([data-state="ok"], [data-state="error"])');
  await result.waitFor({ state: "visible", timeout: 12000 });
  const said = await result.textContent();
  equal(await result.getAttribute("data-state"), "ok", `the test's answer (${said})`);
  assert(said.startsWith("Sent"), `the result in words: ${said}`);
  const hit = received.slice(before).find((r) => r.path === `/hook/${SECRET}`);
  assert(hit, `the sink received no test at /hook/<secret>: ${JSON.stringify(received)}`);
  equal(hit.method, "POST", "the test's method");
});

await step("Remove asks first; confirmed, the channel is gone (list and API)", async () => {
  await page.locator('#ch-rows tr[data-name="team-slack"] button[data-action="remove"]').click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  equal(await page.textContent("#confirm-title"), "Remove team-slack?", "the confirmation");
  await page.click("#confirm-cancel");
  equal(await channelNames(), "ops-hook,team-slack", "cancelled: nothing removed");
  await page.locator('#ch-rows tr[data-name="team-slack"] button[data-action="remove"]').click();
  await page.click("#confirm-ok");
  await waitChannelRows("ops-hook", "the list without team-slack");
  equal(await channelNames(), "ops-hook", "the API's channels");
  // Another channel for the monitor's choice below.
  equal((await call("POST", "/channels", keys.writer,
                    { name: "pager", kind: "webhook", url: `${sinkBase}/pager/${SECRET}`, method: "POST" })).status,
        201, "POST /channels pager");
});

await step("a monitor's page: its channels (all by default), repeat and down_after, saved through PUT", async () => {
  await page.goto(`${base}/#/monitors/backup`);
  await page.locator("#mp-alerting").waitFor({ state: "visible" });
  await page.locator('#mp-channel-boxes input[value="pager"]').waitFor({ state: "attached" });
  assert(await page.isChecked("#mp-channels-all"), "all of the project's channels by default");
  assert(await page.locator('#mp-channel-boxes input[value="ops-hook"]').isDisabled(), "no box counts while all");
  await page.check("#mp-channels-some");
  await page.check('#mp-channel-boxes input[value="ops-hook"]');
  await page.selectOption("#mp-repeat", "2h");
  await page.fill("#mp-down-after", "3");
  await page.click("#mp-policy-save");
  const m = await waitMonitor("backup", (x) => Array.isArray(x.channels), "the PUT");
  equalJson(m.channels, ["ops-hook"], "the monitor's channels");
  equal(m.repeat_secs, 7200, "repeat_secs");
  equal(m.down_after, 3, "down_after");
  // The page shows what was saved, after a refresh.
  await page.waitForFunction(() => document.getElementById("mp-policy-words").textContent.includes("ops-hook"));
  const words = await page.textContent("#mp-policy-words");
  assert(words.includes("every 2 hours") && words.includes("3 missed deadlines"), `the policy in words: ${words}`);
});

await step("back to all channels: channels null again", async () => {
  await page.check("#mp-channels-all");
  await page.click("#mp-policy-save");
  const m = await waitMonitor("backup", (x) => x.channels === null, "the PUT");
  equal(m.repeat_secs, 7200, "repeat kept");
  equal(m.down_after, 3, "down_after kept");
});

await step("Snooze 4 h from the monitor's page: snoozed_until in the API, the page and the list say so", async () => {
  const before = Math.floor(Date.now() / 1000);
  await page.click('#mp-snooze-actions button[data-snooze="4h"]');
  const m = await waitMonitor("backup", (x) => Number.isFinite(x.snoozed_until), "the snooze");
  const after = Math.ceil(Date.now() / 1000);
  assert(m.snoozed_until >= before + 4 * 3600 - 2 && m.snoozed_until <= after + 4 * 3600 + 2,
         `snoozed_until ${m.snoozed_until} is not 4 h from now (${before}..${after})`);
  await page.locator("#mp-unsnooze").waitFor({ state: "visible" });
  assert((await page.textContent("#mp-snooze-state")).includes("snoozed until"), "the page says until when");
  await page.locator('#mp-badges [data-badge="snoozed"]').waitFor();
  await page.click("#mp-back");
  await page.locator('#monitor-rows tr[data-slug="backup"] [data-badge="snoozed"]').waitFor();
});

await step("Unsnooze from the monitor's page: snoozed_until null, the badge gone", async () => {
  await page.click('#monitor-rows tr[data-slug="backup"] a.slug');
  await page.locator("#mp-unsnooze").waitFor({ state: "visible" });
  await page.click("#mp-unsnooze");
  await waitMonitor("backup", (x) => x.snoozed_until === null, "the unsnooze");
  await page.locator("#mp-unsnooze").waitFor({ state: "hidden" });
  await page.locator('#mp-badges [data-badge="snoozed"]').waitFor({ state: "detached" });
});

// ------------------------------------------------------------------ a read-only key

// The visible buttons of the page but those that only read or only concern this browser:
// the status counts, the column headers, adding and forgetting a key, logging out.
const otherButtons = () => page.$$eval("button", (buttons) => buttons
  .filter((b) => b.checkVisibility() &&
    !b.matches(".counts .count, th button.sort, #add-key, #forget-key, #logout, #clear-filters"))
  .map((b) => b.id || b.textContent.trim()));

await step("a read-only key: the channels listed, no form, no Send test, no Remove", async () => {
  // Snoozed again, so that the read-only page has an Unsnooze it must not show.
  equal((await call("POST", "/monitors/backup/snooze?for=1h", keys.writer)).status, 204, "snooze through the API");
  equal((await call("POST", "/monitors/backup/snooze?for=1h", keys.reader)).status, 403, "a read-only key's snooze");
  equal((await call("POST", "/channels", keys.reader, { name: "x", kind: "ntfy", url: `${sinkBase}/x` })).status,
        403, "a read-only key's POST /channels");
  await page.click("#add-key");
  await page.locator("#login-view").waitFor({ state: "visible" });
  await page.fill("#api-key", keys.reader);
  await page.click("#login-submit");
  await page.locator("#read-only").waitFor({ state: "visible" });
  await page.click("#nav-channels");
  await waitChannelRows("ops-hook,pager", "the channels, for the read-only key");
  assert(await page.locator("#ch-add").isHidden(), "no add form");
  equal(await page.locator("#ch-rows button").count(), 0, "no button in the channel rows");
  equal(JSON.stringify(await otherButtons()), "[]", "no visible button but those that only read");
});

await step("a read-only key: a monitor's page shows its policy and snooze, with no control", async () => {
  await page.goto(`${base}/#/monitors/backup`);
  await page.locator("#mp-alerting").waitFor({ state: "visible" });
  await page.waitForFunction(() => document.getElementById("mp-snooze-state").textContent.includes("snoozed until"));
  assert((await page.textContent("#mp-policy-words")).includes("every 2 hours"), "the policy in words");
  assert(await page.locator("#mp-policy").isHidden(), "no policy form");
  assert(await page.locator("#mp-snooze-actions").isHidden(), "no snooze or unsnooze");
  equal(JSON.stringify(await otherButtons()), "[]", "no visible button but those that only read");
  await page.locator('#mp-badges [data-badge="snoozed"]').waitFor();
});

await step("no console errors, no CSP violation", async () => {
  equal(consoleProblems.length, 0, `console: ${consoleProblems.join("; ")}`);
  equalJson(await page.evaluate(() => window.__cspViolations), [], "CSP violations");
});

await cleanup();
finish();
