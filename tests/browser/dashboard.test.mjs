// The dashboard in a real browser: the real `heartbeat serve` (SQLite in a temporary
// directory) driven by Debian's chromium through playwright-core.
//
//   HEARTBEAT_BINARY=build/heartbeat DASHBOARD_SCREENSHOT=build/dashboard.png \
//     node tests/browser/dashboard.test.mjs
//
// Besides DASHBOARD_SCREENSHOT (the list), it saves dashboard-phone.png and monitor-page.png
// next to it; docs/ holds copies of the three.
//
// Exit code 0 when every step passed, 1 otherwise; the last line is "N passed, N failed".
// A missing chromium or playwright-core is a failure, not a skip: scripts/install-deps.sh
// installs both.

import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { addKey, assert, equal, serve, sleep, sqliteStore, steps, withTimeout } from "../support/harness.mjs";
import { browserPreconditions, launchChromium } from "./chromium.mjs";

const STEP_TIMEOUT_MS = 15000;

const runner = steps({ timeoutMs: STEP_TIMEOUT_MS, timed: true });
const { step, finish } = runner;

// ------------------------------------------------------------------ preconditions

const binary = process.env.HEARTBEAT_BINARY;
const screenshot = process.env.DASHBOARD_SCREENSHOT ||
  join(binary ? dirname(binary) : process.cwd(), "dashboard.png");
const phoneScreenshot = join(dirname(screenshot), "dashboard-phone.png");
const monitorScreenshot = join(dirname(screenshot), "monitor-page.png");

let chromium;
await step("preconditions: heartbeat binary, chromium and playwright-core are installed", async () => {
  chromium = await browserPreconditions(binary);
});
if (runner.aborted) finish();

// ------------------------------------------------------------------ the server

const store = sqliteStore("heartbeat-browser-", {
  PINGS_KEPT: "12", // small, so that a test can push a body out of the history
});

let server = null;
let base = "";
let key = "";
let browser = null;

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exit === null) server.kill("SIGKILL");
  store.remove();
}

runner.finishOnUncaught(cleanup);

await step("creates an API key and starts `heartbeat serve`", async () => {
  key = addKey(binary, store.env, "--description", "browser");
  server = serve(binary, store.env);
  base = `http://127.0.0.1:${await server.port}`;
});

async function call(method, path, withKey = key) {
  const headers = withKey ? { Authorization: `Bearer ${withKey}` } : {};
  const res = await fetch(base + path, { method, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

// A 30 s monitor pinged now is overdue by the end of the test: the overdue rendering is
// checked on a real deadline passing, not a faked one. Another with an hour of grace is
// then late, and still ok.
let shortPingedAt = 0;
await step("the API answers (30 s monitors pinged before logging in)", async () => {
  const r = await call("GET", "/heartbeat/nightly-sync?interval=30s");
  equal(r.status, 200, "ping nightly-sync");
  shortPingedAt = Date.now();
  equal((await call("GET", "/heartbeat/queue-drain?interval=30s&grace=1h")).status, 200, "ping queue-drain");
  equal((await call("GET", "/monitors", "not-a-key")).status, 401, "GET /monitors with a wrong key");
});

await step("serves the dashboard with a strict Content-Security-Policy", async () => {
  for (const path of ["/", "/ui/", "/ui/index.html"]) {
    const res = await fetch(base + path);
    equal(res.status, 200, `GET ${path}`);
    assert(res.headers.get("content-type").startsWith("text/html"), `${path} is HTML`);
    const csp = res.headers.get("content-security-policy") || "";
    assert(csp.includes("script-src 'self'") && csp.includes("style-src 'self'"), `CSP of ${path}: ${csp}`);
    const html = await res.text();
    assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), `${path} has an inline script`);
    assert(!/\sstyle=/i.test(html), `${path} has an inline style attribute`);
  }
  for (const [path, type] of [["/ui/app.js", "text/javascript"], ["/ui/style.css", "text/css"],
                              ["/ui/favicon.svg", "image/svg+xml"]]) {
    const res = await fetch(base + path);
    equal(res.status, 200, `GET ${path}`);
    assert(res.headers.get("content-type").startsWith(type), `${path} is ${type}`);
  }
});

// ------------------------------------------------------------------ the browser

let page;
let context;
const consoleProblems = [];
// Console errors the test provokes on purpose (the browser logs every failed request):
// allowed only while `expected` says so.
let expected = [];

await step("launches chromium", async () => {
  browser = await launchChromium(chromium);
  context = await browser.newContext({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1,
                                       colorScheme: "light", locale: "en-GB", timezoneId: "UTC" });
  // Collects CSP violations as the page sees them (init scripts are not subject to the CSP).
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() !== "error" && msg.type() !== "warning") return;
    const text = msg.text();
    if (expected.some((re) => re.test(text))) return;
    if (msg.type() === "warning" && !/Content.Security.Policy|Refused/i.test(text)) return;
    consoleProblems.push(`console.${msg.type()}: ${text}`);
  });
  page.on("pageerror", (err) => consoleProblems.push(`page error: ${err.message}`));
  page.setDefaultTimeout(8000);
});

const row = (slug) => page.locator(`#monitor-rows tr[data-slug="${slug}"]`);
const refreshes = () => page.evaluate(() => Number(document.body.dataset.refreshes || 0));
async function nextRefresh() {
  const before = await refreshes();
  await page.waitForFunction((n) => Number(document.body.dataset.refreshes || 0) > n, before,
                             { timeout: 8000 });
}
// Waits until the list's row of `slug` has the class status-<status>.
async function waitRowStatus(slug, status, timeout = 8000) {
  await page.waitForFunction(([s, st]) => document.querySelector(`tr[data-slug="${s}"]`)?.classList.contains(`status-${st}`),
                             [slug, status], { timeout });
}

async function waitText(locator, re, what) {
  await locator.waitFor({ state: "visible" });
  const deadline = Date.now() + 8000;
  let text = "";
  while (Date.now() < deadline) {
    text = (await locator.textContent()) || "";
    if (re.test(text)) return text;
    await sleep(100);
  }
  throw new Error(`${what}: ${JSON.stringify(text)} does not match ${re}`);
}

await step("a wrong key is refused with a clear message", async () => {
  expected = [/status of 401/];
  await page.goto(`${base}/`);
  await page.locator("#login-view").waitFor({ state: "visible" });
  assert(await page.locator("#dashboard-view").isHidden(), "the dashboard is hidden before login");
  await page.fill("#api-key", "0123456789abcdef-not-a-key");
  await page.click("#login-submit");
  await waitText(page.locator("#login-error"), /That key was not accepted/, "login error");
  assert(await page.locator("#dashboard-view").isHidden(), "the dashboard stays hidden");
  equal(await page.evaluate(() => localStorage.getItem("heartbeat.keys")), null, "no key stored");
  expected = [];
});

await step("logs in with the right key; the key is kept in localStorage with its project", async () => {
  await page.fill("#api-key", key);
  await page.press("#api-key", "Enter");
  await page.locator("#dashboard-view").waitFor({ state: "visible" });
  assert(await page.locator("#login-view").isHidden(), "the login view is hidden");
  equal(await page.evaluate(() => localStorage.getItem("heartbeat.keys")),
        JSON.stringify([{ project: "default", role: "read-write", key }]), "stored key");
  equal(await page.textContent("#project-name"), "default", "the project's name");
  assert(await page.locator("#project-select").isHidden(), "no project switcher with one key");
  await row("nightly-sync").waitFor();
  await waitText(page.locator("#count-total"), /^2$/, "total count");
  equal(await page.inputValue("#api-key"), "", "the key field is cleared");
});

await step("pinged monitors appear after the refresh, with human intervals and times", async () => {
  for (const [slug, interval] of [["alpha", "5m"], ["beta", "1h30m"], ["gamma", "2h"],
                                  ["delta", "1d"], ["epsilon", "90"]]) {
    equal((await call("GET", `/heartbeat/${slug}?interval=${interval}`)).status, 200, `ping ${slug}`);
  }
  await row("epsilon").waitFor({ timeout: 8000 });
  await waitText(page.locator("#count-total"), /^7$/, "total count");
  equal(await page.textContent("#count-ok"), "7", "ok count");
  const slugs = await page.$$eval("#monitor-rows tr", (trs) => trs.map((tr) => tr.dataset.slug));
  equal(slugs.join(","), "alpha,beta,delta,epsilon,gamma,nightly-sync,queue-drain", "rows sorted by slug");
  equal(await row("alpha").locator(".cell-interval").textContent(), "5m", "alpha's interval");
  equal(await row("beta").locator(".cell-interval").textContent(), "1h 30m", "beta's interval");
  equal(await row("delta").locator(".cell-interval").textContent(), "1d", "delta's interval");
  equal(await row("epsilon").locator(".cell-interval").textContent(), "1m 30s", "epsilon's interval");
  assert(/^(just now|\d+ s ago)$/.test(await row("alpha").locator(".cell-last").textContent()),
         "alpha's last ping is relative");
  const title = await row("alpha").locator(".cell-last time").getAttribute("title");
  assert(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/.test(title), `last ping title ${title}`);
  assert(/^in (4 min|5 min|\d+ s)$/.test(await row("alpha").locator(".cell-next").textContent()),
         "alpha's next due is 'in 5 min'");
  assert(/^in 1 h (29|30) min$/.test(await row("beta").locator(".cell-next").textContent()),
         "beta's next due");
  equal(await row("alpha").locator(".cell-status").textContent(), "ok", "alpha's status label");
  assert(await row("alpha").evaluate((tr) => tr.classList.contains("status-ok")), "alpha has status-ok");
  equal(await row("alpha").locator(".cell-alerts").textContent(), "0", "alerts sent");
});

await step("refreshes update rows in place and keep the filter", async () => {
  await page.evaluate(() => { document.querySelector('tr[data-slug="alpha"]').__marker = 42; });
  await page.fill("#filter-text", "ta");
  const visible = () => page.$$eval("#monitor-rows tr:not([hidden])", (trs) => trs.map((tr) => tr.dataset.slug).join(","));
  equal(await visible(), "beta,delta", "filtered by 'ta'");
  await nextRefresh();
  equal(await visible(), "beta,delta", "still filtered after a refresh");
  equal(await page.inputValue("#filter-text"), "ta", "the filter text stays");
  assert(await page.evaluate(() => document.querySelector('tr[data-slug="alpha"]').__marker === 42),
         "alpha's row is the same element after a refresh");
  await page.fill("#filter-text", "");
  equal((await visible()).split(",").length, 7, "all rows back");
});

await step("a reported failure turns the row failed", async () => {
  const r = await call("POST", "/heartbeat/beta/fail");
  equal(r.status, 200, "POST /heartbeat/beta/fail");
  const tr = row("beta");
  await waitRowStatus("beta", "failed");
  equal(await tr.locator(".cell-status").textContent(), "failed", "status label");
  assert(await tr.locator(".badge-failed svg").count() === 1, "failed has an icon");
  assert(/^overdue for /.test(await tr.locator(".cell-next").textContent()), "next due says overdue");
  equal(await page.textContent("#count-failed"), "1", "failed count");
  equal(await page.textContent("#count-ok"), "6", "ok count");
});

await step("sorts by a column header and filters by status", async () => {
  await page.click('th[data-sort="status"] button');
  equal(await page.getAttribute('th[data-sort="status"]', "aria-sort"), "ascending", "aria-sort");
  let first = await page.$eval("#monitor-rows tr", (tr) => tr.dataset.slug);
  equal(first, "beta", "worst status first");
  await page.click('th[data-sort="next_due"] button');
  await page.click('th[data-sort="next_due"] button');
  equal(await page.getAttribute('th[data-sort="next_due"]', "aria-sort"), "descending", "aria-sort");
  first = await page.$eval("#monitor-rows tr", (tr) => tr.dataset.slug);
  equal(first, "delta", "latest deadline first");
  await page.click('th[data-sort="slug"] button');
  equal(await page.getAttribute('th[data-sort="slug"]', "aria-sort"), "ascending", "back to slug");
  await page.selectOption("#filter-status", "failed");
  const shown = await page.$$eval("#monitor-rows tr:not([hidden])", (trs) => trs.map((tr) => tr.dataset.slug).join(","));
  equal(shown, "beta", "only the failed monitor");
  assert(/1 of 7/.test(await page.textContent("#shown-count")), "shown count");
  await page.selectOption("#filter-status", "all");
});

await step("pause via the UI asks first; Cancel changes nothing", async () => {
  await row("gamma").locator('button[data-action="pause"]').click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  assert(/gamma/.test(await page.textContent("#confirm-title")), "the dialog names the monitor");
  await page.click("#confirm-cancel");
  await page.locator("#confirm").waitFor({ state: "hidden" });
  await sleep(300);
  equal((await call("GET", "/monitors/gamma")).body.paused, false, "gamma is not paused");
});

await step("pause via the UI (click, confirm): the row turns paused and the API agrees", async () => {
  await row("alpha").locator('button[data-action="pause"]').click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  equal(await page.textContent("#confirm-ok"), "Pause", "confirm button");
  await page.click("#confirm-ok");
  await waitRowStatus("alpha", "paused", 5000);
  equal(await row("alpha").locator(".cell-status").textContent(), "paused", "status label");
  equal(await row("alpha").locator('button[data-action="unpause"]').textContent(), "Unpause", "button");
  const r = await call("GET", "/monitors/alpha");
  equal(r.body.paused, true, "API paused");
  equal(r.body.status, "paused", "API status");
  equal(await page.textContent("#count-paused"), "1", "paused count");
});

await step("delete via the UI (click, confirm): the row is gone and the API says 404", async () => {
  await row("delta").locator('button[data-action="delete"]').click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  assert(/Delete delta/.test(await page.textContent("#confirm-title")), "dialog title");
  await page.click("#confirm-ok");
  await row("delta").waitFor({ state: "detached", timeout: 5000 });
  equal((await call("GET", "/monitors/delta")).status, 404, "GET /monitors/delta");
  equal(await page.textContent("#count-total"), "6", "total count");
});

// ------------------------------------------------------------------ a monitor's page

// Unix seconds as the dashboard writes them: "2026-12-07 02:00:00 UTC".
const utcText = (s) => new Date(s * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
const monitorView = () => page.locator("#monitor-view");
const fact = (name) => page.locator(`#mp-${name} .fact-value`);
const factSub = (name) => page.locator(`#mp-${name} .fact-sub`);
const openPage = (slug) => page.evaluate((s) => { location.hash = `#/monitors/${s}`; }, slug);

async function backToList() {
  await page.click("#mp-back");
  await page.locator("#list-view").waitFor({ state: "visible" });
}

async function waitPageStatus(status) {
  await page.waitForFunction((st) => document.getElementById("mp-badges").dataset.status === st, status,
                             { timeout: 5000 });
}

async function waitHistoryRows(n) {
  await page.waitForFunction((k) => document.querySelectorAll("#mp-history-rows tr.ping").length === k, n,
                             { timeout: 8000 });
}

// Waits until the detail row of ping n has data-state `state` (text, binary, pruned, error).
async function waitBody(n, state) {
  await page.waitForFunction(([k, st]) => document.querySelector(`tr.ping-detail[data-n="${k}"]`)?.dataset.state === st,
                             [n, state], { timeout: 5000 });
}

await step("a click on a row opens the monitor's page: a schedule in words", async () => {
  const ping = await call("GET", "/heartbeat/nightly-backup?schedule=0+3+*+*+*&tz=Europe/Riga&grace=15m");
  equal(ping.status, 200, "ping nightly-backup");
  const m = (await call("GET", "/monitors/nightly-backup")).body;
  equal(m.alert_at - m.next_due, 900, "the API's alert_at is next_due + 15 min");
  await row("nightly-backup").waitFor({ timeout: 8000 });
  equal(await row("nightly-backup").locator(".cell-interval").textContent(), "0 3 * * *",
        "the list shows the expression");
  await row("nightly-backup").locator(".cell-next").click(); // the row itself, not the link
  await monitorView().waitFor({ state: "visible" });
  equal(await page.evaluate(() => location.hash), "#/monitors/nightly-backup", "address");
  assert(await page.locator("#list-view").isHidden(), "the list is hidden");
  equal(await page.textContent("#mp-slug"), "nightly-backup", "heading");
  equal(await page.evaluate(() => document.activeElement && document.activeElement.id), "mp-title",
        "the focus moves to the heading");
  assert((await page.title()).endsWith("nightly-backup · heartbeat"), `title ${await page.title()}`);
  await waitText(page.locator("#mp-words"), /./, "settings in words");
  equal(await page.textContent("#mp-words"), "at 03:00 every day, Europe/Riga, 15 min grace",
        "settings in words");
  equal(await page.textContent("#mp-setting-label"), "Schedule", "setting label");
  equal(await fact("setting").textContent(), "0 3 * * *", "the expression");
  equal(await fact("max-runtime").textContent(), "no limit", "max run time");
  equal(await page.getAttribute("#mp-badges", "data-status"), "ok", "status");
  equal(await page.locator("#mp-badges .badge").allTextContents().then((t) => t.join("|")), "ok",
        "one badge: ok (neither late nor running)");
  assert(/^(just now|\d+ s ago)$/.test(await fact("last-ping").textContent()), "last ping");
  equal(await factSub("last-ping").textContent(), utcText(m.last_ping), "last ping's time");
  assert(/^in \d+ (h|min|s)/.test(await fact("next-due").textContent()), "next due is ahead");
  // The server's next_due, in the schedule's own zone: 03:00 there.
  assert(/^\d{4}-\d\d-\d\d 03:00 Europe\/Riga$/.test(await factSub("next-due").textContent()),
         `next due in Riga: ${await factSub("next-due").textContent()}`);
  equal(await factSub("alert-at").textContent(), `${utcText(m.alert_at)}, 15 min grace`, "alert_at");
  equal(await fact("alerts").textContent(), "0", "alerts sent");
});

await step("back returns to the list, with the focus on that monitor", async () => {
  await page.goBack();
  await page.locator("#list-view").waitFor({ state: "visible" });
  assert(await monitorView().isHidden(), "the monitor's page is hidden");
  equal(await page.evaluate(() => document.activeElement.closest("tr")?.dataset.slug), "nightly-backup",
        "focus");
  assert(!(await page.title()).includes("nightly-backup"), "the title is the list's again");
});

await step("a monitor's page pauses and unpauses it, as the list does", async () => {
  await row("alpha").locator("a.slug").click(); // alpha was paused above
  await monitorView().waitFor({ state: "visible" });
  await waitText(page.locator("#mp-words"), /^every 5 minutes$/, "interval in words");
  equal(await page.textContent("#mp-setting-label"), "Interval", "setting label");
  equal(await fact("setting").textContent(), "5m", "interval");
  equal(await page.getAttribute("#mp-badges", "data-status"), "paused", "status");
  equal(await fact("next-due").textContent(), "paused", "no deadline while paused");
  await page.click("#mp-toggle");
  await waitPageStatus("ok");
  equal((await call("GET", "/monitors/alpha")).body.paused, false, "API: unpaused");
  equal(await page.textContent("#mp-toggle"), "Pause", "the button");
  await page.click("#mp-toggle");
  await page.locator("#confirm").waitFor({ state: "visible" });
  assert(/Pause alpha/.test(await page.textContent("#confirm-title")), "the dialog names the monitor");
  await page.click("#confirm-ok");
  await waitPageStatus("paused");
  equal((await call("GET", "/monitors/alpha")).body.paused, true, "API: paused again");
  await backToList();
  equal(await page.evaluate(() => location.hash), "#/", "address");
});

await step("a monitor's page deletes it, then shows the list", async () => {
  // A refresh in flight may read gamma's history just after it is gone.
  expected = [/status of 404/];
  await openPage("gamma");
  await waitText(page.locator("#mp-words"), /^every 2 hours$/, "interval in words");
  await page.click("#mp-delete");
  await page.locator("#confirm").waitFor({ state: "visible" });
  assert(/Delete gamma/.test(await page.textContent("#confirm-title")), "dialog title");
  await page.click("#confirm-ok");
  await page.locator("#list-view").waitFor({ state: "visible", timeout: 5000 });
  await row("gamma").waitFor({ state: "detached", timeout: 5000 });
  equal((await call("GET", "/monitors/gamma")).status, 404, "GET /monitors/gamma");
  await waitText(page.locator("#toast"), /Deleted gamma/, "toast");
  expected = [];
});

await step("the page of a monitor that does not exist says so", async () => {
  await openPage("no-such-monitor");
  await page.locator("#mp-missing").waitFor({ state: "visible" });
  equal(await page.textContent("#mp-missing-slug"), "no-such-monitor", "names the slug");
  assert(await page.locator("#mp-body").isHidden(), "nothing else is shown");
  await page.click("#mp-missing a");
  await page.locator("#list-view").waitFor({ state: "visible" });
});

// A signal with a body, as a job's wrapper sends it.
async function signal(path, body) {
  const res = await fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${key}`, "User-Agent": "backup.sh/2.1" },
    body,
  });
  await res.arrayBuffer();
  equal(res.status, 200, `${body === undefined ? "GET" : "POST"} ${path}`);
}

// Waits for the checker to record a status change of `slug` (it does with an alert).
async function flipTo(slug, status, count) {
  const deadline = Date.now() + 8000;
  for (;;) {
    const flips = (await call("GET", `/monitors/${slug}/flips`)).body.flips;
    if (flips.filter((f) => f.status === status).length >= count) return;
    if (Date.now() > deadline) throw new Error(`no "${status}" flip of ${slug}: ${JSON.stringify(flips)}`);
    await sleep(100);
  }
}

const FAIL_BODY = "pg_dump: error: <b>connection refused</b>\n<script>alert(1)</script>\nexit 1\n";
const NOT_UTF8 = Buffer.from([0x6c, 0x6f, 0x67, 0x3a, 0x20, 0xff, 0xfe, 0x0a]); // "log: " and two bad bytes

await step("runs, a failure and a log make a history (real signals)", async () => {
  const [a, b, c, d, e] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await signal(`/heartbeat/db-backup/start?rid=${a}&interval=1h&max_runtime=30m`);
  await sleep(150);
  await signal(`/heartbeat/db-backup/0?rid=${a}`, "dumped 42 tables\n");
  await signal(`/heartbeat/db-backup/start?rid=${b}`);
  await sleep(400);
  await signal(`/heartbeat/db-backup/1?rid=${b}`, FAIL_BODY); // exit code 1: a failed run, timed
  await flipTo("db-backup", "overdue", 1);
  for (const [rid, ms] of [[c, 250], [d, 100]]) {
    await signal(`/heartbeat/db-backup/start?rid=${rid}`);
    await sleep(ms);
    await signal(`/heartbeat/db-backup/0?rid=${rid}`);
  }
  await flipTo("db-backup", "ok", 1);
  await signal("/heartbeat/db-backup/log", NOT_UTF8);
  await signal(`/heartbeat/etl-load/start?rid=${e}&interval=1h&max_runtime=1h`); // left running
  const m = (await call("GET", "/monitors/db-backup")).body;
  equal(m.running, false, "db-backup's runs all ended");
  equal(m.max_runtime_secs, 1800, "max_runtime");
  equal((await call("GET", "/monitors/etl-load")).body.running, true, "etl-load is running");
});

let history = [];
await step("a monitor's page: its history, newest first, as the API has it", async () => {
  history = (await call("GET", "/monitors/db-backup/pings?limit=100")).body.pings;
  equal(history.map((p) => p.kind).join(","), "log,success,start,success,start,fail,start,success,start",
        "the API's history");
  await row("db-backup").waitFor({ timeout: 8000 });
  await row("db-backup").locator("a.slug").click();
  await monitorView().waitFor({ state: "visible" });
  await waitHistoryRows(history.length);
  const rows = await page.$$eval("#mp-history-rows tr.ping", (trs) => trs.map((tr) => ({
    n: Number(tr.dataset.n), kind: tr.dataset.kind,
    exit: tr.querySelector(".cell-exit").textContent,
    duration: tr.querySelector(".cell-duration").textContent,
    source: tr.querySelector(".cell-source").textContent,
    body: !!tr.querySelector(".body-toggle"),
  })));
  history.forEach((p, i) => {
    const r = rows[i];
    equal(r.n, p.n, `row ${i}: n`);
    equal(r.kind, p.kind, `row ${i}: kind`);
    equal(r.exit, p.exit_code === null ? "—" : String(p.exit_code), `row ${i}: exit code`);
    if (p.duration_ms === null) equal(r.duration, "—", `row ${i}: no duration`);
    else assert(/^\d+ ms$|^\d\.\d s$/.test(r.duration), `row ${i}: duration ${r.duration} (${p.duration_ms} ms)`);
    assert(r.source.includes(p.remote_addr) && r.source.includes("backup.sh/2.1") && r.source.includes(p.method),
           `row ${i}: source ${r.source}`);
    equal(r.body, p.body_bytes > 0, `row ${i}: a body to open`);
  });
  equal(await page.textContent("#mp-words"), "every hour", "settings in words");
  equal(await fact("max-runtime").textContent(), "30 min", "max run time");
  equal(await factSub("last-run").textContent(), "exit code 0", "last run's exit code");
  assert(/^\d+ ms$/.test(await fact("last-run").textContent()), "last run's duration");
  assert(/^\d+ entries, newest first$/.test(await page.textContent("#mp-history-summary")), "summary");
});

await step("the chart has one bar per run duration, in proportion", async () => {
  const runs = history.filter((p) => p.duration_ms !== null).reverse(); // oldest first
  equal(runs.length, 4, "the API timed four runs");
  const bars = await page.$$eval("#mp-durations rect.bar", (rects) => rects.map((r) => ({
    n: Number(r.dataset.n), ms: Number(r.dataset.ms), h: Number(r.getAttribute("height")),
    fail: r.classList.contains("bar-fail"),
  })));
  equal(bars.map((b) => b.n).join(","), runs.map((p) => p.n).join(","), "one bar per run, oldest first");
  equal(bars.map((b) => b.ms).join(","), runs.map((p) => p.duration_ms).join(","), "the durations");
  equal(bars.map((b) => b.fail).join(","), runs.map((p) => p.kind === "fail").join(","), "failed runs in red");
  const scale = bars.map((b) => b.h / b.ms);
  for (const k of scale) {
    assert(Math.abs(k - scale[0]) / scale[0] < 0.02, `bars in proportion to durations: ${JSON.stringify(bars)}`);
  }
  assert(/^4 runs · median .+ · longest .+$/.test(await page.textContent("#mp-durations-summary")), "summary");
});

await step("the status band shows the API's flips", async () => {
  const flips = (await call("GET", "/monitors/db-backup/flips")).body.flips
    .map((f) => ({ at: Date.parse(f.at) / 1000, status: f.status })).sort((a, b) => a.at - b.at);
  assert(flips.length >= 2, `flips: ${JSON.stringify(flips)}`);
  let status = flips[0].status === "ok" ? "overdue" : "ok";
  const spans = [status];
  for (const f of flips) {
    if (f.status !== status) spans.push(f.status);
    status = f.status;
  }
  await page.waitForFunction((n) => document.querySelectorAll("#mp-timeline rect.seg").length === n,
                             spans.length, { timeout: 8000 });
  const segs = await page.$$eval("#mp-timeline rect.seg", (rects) => rects.map((r) => ({
    status: r.dataset.status, from: Number(r.dataset.from), x: Number(r.getAttribute("x")),
  })));
  equal(segs.map((x) => x.status).join(","), spans.join(","), "spans");
  const overdue = segs.find((x) => x.status === "overdue");
  const flip = flips.find((f) => f.status === "overdue");
  assert(Math.abs(overdue.from - flip.at) <= 1, `the overdue span starts at the flip (${overdue.from} vs ${flip.at})`);
  assert(segs.every((x, i) => i === 0 || x.x > segs[i - 1].x), "spans left to right");
  assert(/^ok \d+(\.\d)?% of the time · overdue 1 time$/.test(await page.textContent("#mp-timeline-summary")),
         `summary ${await page.textContent("#mp-timeline-summary")}`);
});

await step("a body opens in place, as text and never as HTML", async () => {
  const fail = history.find((p) => p.kind === "fail");
  const tr = page.locator(`#mp-history-rows tr.ping[data-n="${fail.n}"]`);
  const button = tr.locator(".body-toggle");
  equal(await button.getAttribute("aria-expanded"), "false", "closed");
  await button.click();
  const detail = page.locator(`#mp-history-rows tr.ping-detail[data-n="${fail.n}"]`);
  await waitBody(fail.n, "text");
  equal(await button.getAttribute("aria-expanded"), "true", "open");
  equal(await detail.locator("pre").textContent(), FAIL_BODY, "the body, byte for byte");
  equal(await detail.locator("pre *").count(), 0, "no element made from the body");
  equal(await page.locator("#mp-history-rows b, #mp-history-rows script").count(), 0, "no <b> or <script>");
  await button.click();
  await detail.waitFor({ state: "hidden" });
  await button.click();
  await detail.waitFor({ state: "visible" });
  equal(await detail.locator("pre").textContent(), FAIL_BODY, "open again");

  const log = history.find((p) => p.kind === "log");
  await page.locator(`#mp-history-rows tr.ping[data-n="${log.n}"] .body-toggle`).click();
  await waitBody(log.n, "binary");
  const logDetail = page.locator(`#mp-history-rows tr.ping-detail[data-n="${log.n}"]`);
  assert(/not valid UTF-8/.test(await logDetail.locator(".body-note").textContent()), "says it is not UTF-8");
  equal(await logDetail.locator("pre").textContent(), "log: \ufffd\ufffd\n", "the bytes that are text");
  await page.locator(`#mp-history-rows tr.ping[data-n="${log.n}"] .body-toggle`).click();
});

await step("a body pushed out of the history says it is no longer stored", async () => {
  expected = [/status of 404/];
  await signal("/heartbeat/log-shipper/log", "shipped 1,204 lines\n");
  await openPage("log-shipper");
  await page.locator('#mp-history-rows tr.ping[data-n="1"]').waitFor({ timeout: 8000 });
  // PINGS_KEPT=12: twelve more signals push #1 out, in well under a refresh (5 s).
  await nextRefresh();
  const before = await refreshes();
  for (let i = 0; i < 12; i++) await signal("/heartbeat/log-shipper");
  equal(await refreshes(), before, "no refresh since: row #1 is still on screen");
  await page.click('#mp-history-rows tr.ping[data-n="1"] .body-toggle');
  await waitBody(1, "pruned");
  assert(/no longer stored/.test(await page.textContent('tr.ping-detail[data-n="1"] .body-note')), "note");
  await page.locator('#mp-history-rows tr.ping[data-n="1"]').waitFor({ state: "detached", timeout: 8000 });
  equal(await page.locator('#mp-history-rows tr.ping[data-n="13"]').count(), 1, "the newest is there");
  expected = [];
});

await step("a running monitor: a badge with its time, in the list and on its page", async () => {
  const m = (await call("GET", "/monitors/etl-load")).body;
  assert(Number.isFinite(m.last_start), "API: last_start");
  await openPage("etl-load");
  await page.locator('#mp-badges [data-badge="running"]').waitFor({ timeout: 8000 });
  assert(/^running \d+ s$/.test(await page.textContent('#mp-badges [data-badge="running"]')), "page badge");
  assert(/^running for \d+ s$/.test(await fact("last-run").textContent()), "last run: running");
  await backToList();
  const badge = row("etl-load").locator('[data-badge="running"]');
  await badge.waitFor();
  assert(/^running \d+ s$/.test(await badge.textContent()), "list badge");
  equal(await row("db-backup").locator('[data-badge="running"]').count(), 0, "an ended run has no badge");
});

await step("a reload on a monitor's page opens that page again", async () => {
  await openPage("db-backup");
  await monitorView().waitFor({ state: "visible" });
  await page.reload();
  await monitorView().waitFor({ state: "visible" });
  await waitHistoryRows(history.length);
  equal(await page.textContent("#mp-slug"), "db-backup", "heading");
  await backToList();
});

await step("a 429 is explained, and the page recovers", async () => {
  expected = [/status of 429/];
  await page.route("**/monitors", (route) => route.fulfill({
    status: 429, contentType: "application/json", headers: { "Retry-After": "1" },
    body: JSON.stringify({ error: "too many failed authentications from this address; retry later" }),
  }));
  await waitText(page.locator("#banner"), /Too many requests/, "banner");
  await page.unroute("**/monitors");
  await page.locator("#banner").waitFor({ state: "hidden", timeout: 9000 });
  expected = [];
});

await step("a monitor whose deadline passed shows overdue", async () => {
  const wait = shortPingedAt + 31500 - Date.now(); // 30 s interval, the API's whole seconds
  if (wait > 0) await sleep(wait);
  await waitRowStatus("nightly-sync", "overdue");
  const tr = row("nightly-sync");
  equal(await tr.locator(".cell-status").textContent(), "overdue", "status label");
  assert(/^overdue for \d+ (s|min)$/.test(await tr.locator(".cell-next").textContent()), "next due text");
  equal(await page.textContent("#count-overdue"), "1", "overdue count");
}, 45000);

await step("a monitor past its deadline but within its grace is late, not overdue", async () => {
  const m = (await call("GET", "/monitors/queue-drain")).body;
  equal(m.late, true, "API: late");
  equal(m.status, "ok", "API: still ok");
  const tr = row("queue-drain");
  await tr.locator('[data-badge="late"]').waitFor({ timeout: 6000 });
  equal(await tr.locator('[data-badge="late"]').textContent(), "late", "the late badge");
  assert(await tr.evaluate((el) => el.classList.contains("status-ok")), "the row is ok");
  assert(/^late by \d+ (s|min)$/.test(await tr.locator(".cell-next").textContent()), "next due says late");
  assert(await tr.locator(".cell-next time").evaluate((t) => t.classList.contains("grace")), "in its grace");
  equal(await row("alpha").locator('[data-badge="late"]').count(), 0, "a monitor in time has no late badge");
  await tr.locator("a.slug").click();
  await monitorView().waitFor({ state: "visible" });
  await waitText(page.locator("#mp-words"), /^every 30 seconds, 1 h grace$/, "settings in words");
  equal(await page.locator('#mp-badges [data-badge="late"]').count(), 1, "the page's late badge");
  assert(/^late by \d+ (s|min)$/.test(await fact("next-due").textContent()), "next due says late");
  assert(/^in (59 min|\d+ s)$/.test(await fact("alert-at").textContent()),
         `alerts in an hour: ${await fact("alert-at").textContent()}`);
  await page.goBack();
  await page.locator("#list-view").waitFor({ state: "visible" });
});

await step(`saves screenshots (${screenshot}, ${phoneScreenshot})`, async () => {
  await page.waitForFunction(() => document.getElementById("toast").hidden, null, { timeout: 6000 });
  await page.mouse.move(1, 700); // no row under the pointer
  await page.evaluate(() => document.activeElement.blur());
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const display = await page.$eval('tr[data-slug="alpha"]', (tr) => getComputedStyle(tr).display);
  equal(display, "grid", "rows are cards on a phone");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= 390, `no horizontal scrolling on a phone (page is ${width} px wide)`);
  await page.screenshot({ path: phoneScreenshot, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
});

await step(`saves a monitor's page (${monitorScreenshot}); on a phone it fits`, async () => {
  await openPage("db-backup");
  await monitorView().waitFor({ state: "visible" });
  const fail = history.find((p) => p.kind === "fail");
  await page.click(`#mp-history-rows tr.ping[data-n="${fail.n}"] .body-toggle`);
  await page.locator(`tr.ping-detail[data-n="${fail.n}"] pre`).waitFor();
  await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
  await nextRefresh();
  await page.screenshot({ path: monitorScreenshot, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= 390, `no horizontal scrolling on a phone (page is ${width} px wide)`);
  equal(await page.$eval("#mp-history-rows tr.ping", (tr) => getComputedStyle(tr).display), "grid",
        "history entries are cards on a phone");
  const chart = await page.$eval("#mp-durations svg", (svg) => Number(svg.getAttribute("width")));
  assert(chart <= 390, `the chart is drawn to the phone's width (${chart} px)`);
  await page.setViewportSize({ width: 1280, height: 720 });
  await backToList();
});

await step("no console errors and no CSP violations", async () => {
  const violations = await page.evaluate(() => window.__cspViolations);
  equal(violations.length, 0, `CSP violations: ${violations.join("; ")}`);
  equal(consoleProblems.length, 0, `console: ${consoleProblems.join("; ")}`);
});

await step("SIGTERM stops the server; the page says it is not answering", async () => {
  expected = [/ERR_CONNECTION_REFUSED|Failed to load resource|Failed to fetch/];
  server.kill("SIGTERM");
  const { code, signal } = await withTimeout(server.exited, 10000, "server exit");
  equal(code, 0, `serve's exit code (signal ${signal})`);
  await waitText(page.locator("#banner"), /The server is not answering — retrying/, "banner");
  assert(await page.locator("#dashboard-view").isVisible(), "the dashboard stays");
  assert(await row("alpha").isVisible(), "the last data stays on screen");
});

await step("logs out", async () => {
  await page.click("#logout");
  await page.locator("#login-view").waitFor({ state: "visible" });
  equal(await page.evaluate(() => localStorage.getItem("heartbeat.keys")), null, "key forgotten");
  equal(await page.locator("#monitor-rows tr").count(), 0, "no monitor left in the page");
  const unexpected = consoleProblems.filter((p) => !expected.some((re) => re.test(p)));
  equal(unexpected.length, 0, `console: ${unexpected.join("; ")}`);
});

await cleanup();
finish();
