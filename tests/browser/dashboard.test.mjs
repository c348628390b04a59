// The dashboard in a real browser: the real `heartbeat serve` (SQLite in a temporary
// directory) driven by Debian's chromium through playwright-core.
//
//   HEARTBEAT_BINARY=build/heartbeat DASHBOARD_SCREENSHOT=build/dashboard.png \
//     node tests/browser/dashboard.test.mjs
//
// Exit code 0 when every step passed, 1 otherwise; the last line is "N passed, N failed".
// A missing chromium or playwright-core is a failure, not a skip: scripts/install-deps.sh
// installs both.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const STEP_TIMEOUT_MS = 15000;

let passed = 0;
let failed = 0;
let aborted = null; // the first failure: later steps depend on earlier ones

async function step(name, fn, timeoutMs = STEP_TIMEOUT_MS) {
  if (aborted) {
    failed++;
    console.log(`not run  ${name} (after "${aborted}" failed)`);
    return;
  }
  const started = Date.now();
  try {
    await withTimeout(fn(), timeoutMs, name);
    passed++;
    console.log(`ok       ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    failed++;
    aborted = name;
    console.log(`FAILED   ${name}\n         ${String(err && err.stack ? err.stack : err).replace(/\n/g, "\n         ")}`);
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

function equal(actual, expected, message) {
  if (actual !== expected) {
    throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

// ------------------------------------------------------------------ preconditions

const binary = process.env.HEARTBEAT_BINARY;
const screenshot = process.env.DASHBOARD_SCREENSHOT ||
  join(binary ? dirname(binary) : process.cwd(), "dashboard.png");
const phoneScreenshot = join(dirname(screenshot), "dashboard-phone.png");

let chromium;
await step("preconditions: heartbeat binary, chromium and playwright-core are installed", async () => {
  assert(binary, "HEARTBEAT_BINARY is not set");
  assert(existsSync(binary), `HEARTBEAT_BINARY=${binary} does not exist`);
  assert(existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/install-deps.sh installs chromium)`);
  try {
    ({ chromium } = await import("playwright-core"));
  } catch (err) {
    throw new Error(`playwright-core is missing: run "npm ci" in tests/browser (scripts/install-deps.sh does): ${err.message}`);
  }
});
if (aborted) finish();

// ------------------------------------------------------------------ the server

const dir = mkdtempSync(join(tmpdir(), "heartbeat-browser-"));
const env = {
  ...process.env,
  HEARTBEAT_STORE: `sqlite:${join(dir, "h.db")}`,
  BIND_ADDR: "127.0.0.1:0",
  LOG_LEVEL: "info",
};
delete env.TELEGRAM_BOT_TOKEN;
delete env.TELEGRAM_CHAT_ID;

let server = null;
let serverExit = null;
let serverLog = "";
let base = "";
let key = "";
let browser = null;

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (server && serverExit === null) server.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}

process.on("uncaughtException", async (err) => {
  console.log(`FAILED   uncaught: ${err.stack || err}`);
  failed++;
  await cleanup();
  finish();
});

await step("creates an API key and starts `heartbeat serve`", async () => {
  const add = spawnSync(binary, ["keys", "add", "--description", "browser"], { env, encoding: "utf8" });
  equal(add.status, 0, `keys add failed: ${add.stderr}`);
  key = add.stdout.trim();
  assert(/^[\x21-\x7e]{16,}$/.test(key), `keys add printed ${JSON.stringify(add.stdout)}`);

  server = spawn(binary, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise((resolve) => server.on("exit", (code, signal) => {
    serverExit = { code, signal };
    resolve(serverExit);
  }));
  server.exited = exited;
  const port = await new Promise((resolve, reject) => {
    server.stderr.setEncoding("utf8");
    server.stderr.on("data", (chunk) => {
      serverLog += chunk;
      const m = /\(port (\d+)\)/.exec(serverLog);
      if (m) resolve(Number(m[1]));
    });
    exited.then(({ code, signal }) => reject(new Error(`serve exited (${code ?? signal}): ${serverLog}`)));
    setTimeout(() => reject(new Error(`no "(port N)" line within 10 s: ${serverLog}`)), 10000);
  });
  base = `http://127.0.0.1:${port}`;
});

async function call(method, path, withKey = key) {
  const headers = withKey ? { Authorization: `Bearer ${withKey}` } : {};
  const res = await fetch(base + path, { method, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

// A 30 s monitor pinged now is overdue by the end of the test: the overdue rendering is
// checked on a real deadline passing, not a faked one.
let shortPingedAt = 0;
await step("the API answers (a 30 s monitor pinged before logging in)", async () => {
  const r = await call("GET", "/heartbeat/nightly-sync?interval=30s");
  equal(r.status, 200, "ping nightly-sync");
  shortPingedAt = Date.now();
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
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
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
  equal(await page.evaluate(() => sessionStorage.getItem("heartbeat.apiKey")), null, "no key stored");
  expected = [];
});

await step("logs in with the right key; the key is kept in sessionStorage", async () => {
  await page.fill("#api-key", key);
  await page.press("#api-key", "Enter");
  await page.locator("#dashboard-view").waitFor({ state: "visible" });
  assert(await page.locator("#login-view").isHidden(), "the login view is hidden");
  equal(await page.evaluate(() => sessionStorage.getItem("heartbeat.apiKey")), key, "stored key");
  await row("nightly-sync").waitFor();
  await waitText(page.locator("#count-total"), /^1$/, "total count");
  equal(await page.inputValue("#api-key"), "", "the key field is cleared");
});

await step("pinged monitors appear after the refresh, with human intervals and times", async () => {
  for (const [slug, interval] of [["alpha", "5m"], ["beta", "1h30m"], ["gamma", "2h"],
                                  ["delta", "1d"], ["epsilon", "90"]]) {
    equal((await call("GET", `/heartbeat/${slug}?interval=${interval}`)).status, 200, `ping ${slug}`);
  }
  await row("epsilon").waitFor({ timeout: 8000 });
  await waitText(page.locator("#count-total"), /^6$/, "total count");
  equal(await page.textContent("#count-ok"), "6", "ok count");
  const slugs = await page.$$eval("#monitor-rows tr", (trs) => trs.map((tr) => tr.dataset.slug));
  equal(slugs.join(","), "alpha,beta,delta,epsilon,gamma,nightly-sync", "rows sorted by slug");
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
  equal((await visible()).split(",").length, 6, "all rows back");
});

await step("a reported failure turns the row failed", async () => {
  const r = await call("POST", "/heartbeat/beta/fail");
  equal(r.status, 200, "POST /heartbeat/beta/fail");
  const tr = row("beta");
  await page.waitForFunction(() => document.querySelector('tr[data-slug="beta"]')?.classList.contains("status-failed"),
                             null, { timeout: 8000 });
  equal(await tr.locator(".cell-status").textContent(), "failed", "status label");
  assert(await tr.locator(".badge-failed svg").count() === 1, "failed has an icon");
  assert(/^overdue for /.test(await tr.locator(".cell-next").textContent()), "next due says overdue");
  equal(await page.textContent("#count-failed"), "1", "failed count");
  equal(await page.textContent("#count-ok"), "5", "ok count");
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
  assert(/1 of 6/.test(await page.textContent("#shown-count")), "shown count");
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
  await page.waitForFunction(() => document.querySelector('tr[data-slug="alpha"]')?.classList.contains("status-paused"),
                             null, { timeout: 5000 });
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
  equal(await page.textContent("#count-total"), "5", "total count");
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
  await page.waitForFunction(() => document.querySelector('tr[data-slug="nightly-sync"]')?.classList.contains("status-overdue"),
                             null, { timeout: 8000 });
  const tr = row("nightly-sync");
  equal(await tr.locator(".cell-status").textContent(), "overdue", "status label");
  assert(/^overdue for \d+ s$/.test(await tr.locator(".cell-next").textContent()), "next due text");
  equal(await page.textContent("#count-overdue"), "1", "overdue count");
}, 45000);

await step(`saves screenshots (${screenshot}, ${phoneScreenshot})`, async () => {
  await page.waitForFunction(() => document.getElementById("toast").hidden, null, { timeout: 6000 });
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
  equal(await page.evaluate(() => sessionStorage.getItem("heartbeat.apiKey")), null, "key forgotten");
  equal(await page.locator("#monitor-rows tr").count(), 0, "no monitor left in the page");
  const unexpected = consoleProblems.filter((p) => !expected.some((re) => re.test(p)));
  equal(unexpected.length, 0, `console: ${unexpected.join("; ")}`);
});

await cleanup();
finish();
