// The dashboard's projects and read-only keys in a real browser: the real `heartbeat serve`
// (SQLite in a temporary directory) with two projects, a read-write key of each and a
// read-only key of one, driven by Debian's chromium through playwright-core.
//
//   HEARTBEAT_BINARY=build/heartbeat node tests/browser/projects.test.mjs
//
// Exit code 0 when every step passed, 1 otherwise; the last line is "N passed, N failed".
// A missing chromium or playwright-core is a failure, not a skip: scripts/install-deps.sh
// installs both.

import { assert, equal, heartbeat, serve, sqliteStore, steps } from "../support/harness.mjs";
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

// ------------------------------------------------------------------ the server

const store = sqliteStore("heartbeat-projects-");

let server = null;
let base = "";
let browser = null;
const keys = {}; // opsWriter, webWriter, webReader

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exit === null) server.kill("SIGKILL");
  store.remove();
}

runner.finishOnUncaught(cleanup);

const cli = (...args) => heartbeat(binary, store.env, ...args);

await step("creates projects ops and web, their keys, and starts `heartbeat serve`", async () => {
  cli("store", "init");
  cli("projects", "add", "ops");
  cli("projects", "add", "web");
  keys.opsWriter = cli("keys", "add", "--description", "ops writer", "--project", "ops");
  keys.webWriter = cli("keys", "add", "--description", "web writer", "--project", "web");
  keys.webReader = cli("keys", "add", "--description", "web reader", "--project", "web", "--read-only");
  for (const [name, key] of Object.entries(keys)) {
    assert(/^[\x21-\x7e]{16,}$/.test(key), `keys add printed ${JSON.stringify(key)} for ${name}`);
  }

  server = serve(binary, store.env);
  base = `http://127.0.0.1:${await server.port}`;
});

async function call(method, path, key) {
  const res = await fetch(base + path, { method, headers: { Authorization: `Bearer ${key}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const OPS_SLUGS = "ops-backup,ops-sync";
const WEB_SLUGS = "web-cert,web-deploy,web-paused";

await step("each project gets its own monitors; /whoami names each key's project and role", async () => {
  for (const slug of OPS_SLUGS.split(",")) {
    equal((await call("GET", `/heartbeat/${slug}?interval=1h`, keys.opsWriter)).status, 200, `ping ${slug}`);
  }
  for (const slug of WEB_SLUGS.split(",")) {
    equal((await call("GET", `/heartbeat/${slug}?interval=1h`, keys.webWriter)).status, 200, `ping ${slug}`);
  }
  equal((await call("POST", "/monitors/web-paused/pause", keys.webWriter)).status, 204, "pause web-paused");
  equal((await call("GET", "/heartbeat/web-cert", keys.webReader)).status, 403, "a read-only key's ping");
  const ops = await call("GET", "/monitors", keys.opsWriter);
  equal(ops.body.monitors.map((m) => m.slug).join(","), OPS_SLUGS, "ops's monitors");
  const who = await call("GET", "/whoami", keys.webReader);
  equal(JSON.stringify(who.body), JSON.stringify({ project: "web", role: "read-only" }), "whoami");
});

// ------------------------------------------------------------------ the browser

let page;
const consoleProblems = [];

await step("launches chromium", async () => {
  browser = await launchChromium(chromium);
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: "en-GB",
                                             timezoneId: "UTC" });
  page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleProblems.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => consoleProblems.push(`page error: ${err.message}`));
  page.setDefaultTimeout(8000);
});

// The slugs of the list's rows, in order, once they are `expected` (or the last seen).
async function waitRows(expected, what) {
  const rows = () => page.$$eval("#monitor-rows tr", (trs) => trs.map((tr) => tr.dataset.slug).join(","));
  const deadline = Date.now() + 8000;
  let seen = "";
  while (Date.now() < deadline) {
    seen = await rows();
    if (seen === expected) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: rows ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
}

// Every button in the page that writes: the list's pause/unpause/delete, the monitor page's.
const writeButtons = () => page.$$eval("button[data-action]", (buttons) => buttons.map((b) => ({
  action: b.dataset.action, id: b.id, visible: b.checkVisibility(),
})));
const visibleWriteButtons = async () => (await writeButtons()).filter((b) => b.visible);
// The visible buttons other than those that only read or only concern this browser: the
// status counts (filters), the column headers (sorting), adding and forgetting a key,
// logging out.
const otherButtons = () => page.$$eval("button", (buttons) => buttons
  .filter((b) => b.checkVisibility() &&
    !b.matches(".counts .count, th button.sort, #add-key, #forget-key, #logout, #clear-filters"))
  .map((b) => b.id || b.textContent.trim()));
const savedKeys = () => page.evaluate(() => JSON.parse(localStorage.getItem("heartbeat.keys") || "[]")
  .map((k) => `${k.project}:${k.role}`).join(","));
const options = () => page.$$eval("#project-select option", (os) => os.map((o) => o.textContent).join(","));

async function signIn(key) {
  await page.locator("#login-view").waitFor({ state: "visible" });
  await page.fill("#api-key", key);
  await page.click("#login-submit");
  await page.locator("#dashboard-view").waitFor({ state: "visible" });
}

await step("one key: its project's name, its monitors only, no switcher, buttons that write", async () => {
  await page.goto(`${base}/`);
  await signIn(keys.opsWriter);
  await waitRows(OPS_SLUGS, "ops's rows");
  assert(await page.locator("#project-name").isVisible(), "the project's name is shown");
  equal(await page.textContent("#project-name"), "ops", "the project's name");
  assert(await page.locator("#project-select").isHidden(), "no project switcher with a single key");
  equal(await page.locator("#project-select option").count(), 0, "the hidden switcher has no options");
  assert(await page.locator("#read-only").isHidden(), "no read-only badge for a read-write key");
  // The control: the same query that finds no button of a read-only key finds these.
  equal((await visibleWriteButtons()).map((b) => b.action).join(","), "pause,delete,pause,delete",
        "pause and delete in each row");
  equal(await savedKeys(), "ops:read-write", "the saved key, labelled by /whoami");
});

await step("adding web's key: the switcher appears, showing web's monitors only", async () => {
  await page.click("#add-key");
  await page.locator("#login-view").waitFor({ state: "visible" });
  equal(await page.textContent("#login-title"), "Add a key", "the login view adds a key");
  assert(await page.locator("#login-cancel").isVisible(), "Cancel goes back");
  await signIn(keys.webWriter);
  await waitRows(WEB_SLUGS, "web's rows");
  assert(await page.locator("#project-select").isVisible(), "the switcher is shown with two keys");
  equal(await options(), "ops,web", "one option per project");
  equal(await page.inputValue("#project-select"), "web", "the current project is selected");
  assert(await page.locator("#project-name").isHidden(), "the select shows the name instead");
  equal(await savedKeys(), "ops:read-write,web:read-write", "both keys saved");
});

await step("the switcher shows each project's monitors only, with its own key", async () => {
  await page.selectOption("#project-select", "ops");
  await waitRows(OPS_SLUGS, "ops's rows after switching");
  equal(await page.inputValue("#project-select"), "ops", "ops selected");
  await page.selectOption("#project-select", "web");
  await waitRows(WEB_SLUGS, "web's rows after switching back");
  // A refresh keeps to the project's key (the refresh loop, not only the switch).
  const before = await page.evaluate(() => Number(document.body.dataset.refreshes || 0));
  await page.waitForFunction((n) => Number(document.body.dataset.refreshes || 0) > n, before);
  await waitRows(WEB_SLUGS, "web's rows after a refresh");
  equal(await page.textContent("#count-total"), "3", "web's total");
  equal(await page.textContent("#count-paused"), "1", "web's paused count");
});

await step("a reload keeps the saved keys and the project last shown", async () => {
  await page.reload();
  await page.locator("#dashboard-view").waitFor({ state: "visible" });
  await waitRows(WEB_SLUGS, "web's rows after a reload");
  equal(await page.inputValue("#project-select"), "web", "web still selected");
  equal(await options(), "ops,web", "both projects offered");
});

// A second tab of the same browser shares the saved keys, and follows what the first one
// changes.
let tab2;
await step("a second tab opens with the same keys", async () => {
  tab2 = await page.context().newPage();
  tab2.on("pageerror", (err) => consoleProblems.push(`page error (tab 2): ${err.message}`));
  await tab2.goto(`${base}/`);
  await tab2.locator("#dashboard-view").waitFor({ state: "visible" });
  equal(await tab2.inputValue("#project-select"), "web", "the project last shown");
  assert(await tab2.locator("#read-only").isHidden(), "web's key may write");
});

await step("a read-only key: a read-only badge and no button that writes, in the list", async () => {
  await page.click("#add-key");
  await signIn(keys.webReader);
  await waitRows(WEB_SLUGS, "web's rows for the read-only key");
  equal(await savedKeys(), "ops:read-write,web:read-only", "web's key replaced by the read-only one");
  equal(await options(), "ops,web (read-only)", "the switcher says which key is read-only");
  assert(await page.locator("#read-only").isVisible(), "the read-only badge is shown");
  equal((await page.textContent("#read-only")).trim(), "read-only", "the badge's word");
  equal(await page.locator("#monitor-rows button").count(), 0, "no button at all in the rows");
  equal(JSON.stringify(await visibleWriteButtons()), "[]", "no visible button that writes");
  equal(JSON.stringify(await otherButtons()), "[]", "no visible button but those that only read");
  // The other tab uses web's new key too.
  await tab2.locator("#read-only").waitFor({ state: "visible" });
  equal(await tab2.locator("#monitor-rows button").count(), 0, "no button in the other tab's rows");
});

await step("a read-only key: a monitor's page has no pause, unpause or delete", async () => {
  await page.click('#monitor-rows tr[data-slug="web-paused"] a.slug');
  await page.locator("#monitor-view").waitFor({ state: "visible" });
  await page.locator("#mp-slug").filter({ hasText: "web-paused" }).waitFor();
  assert(await page.locator("#read-only").isVisible(), "the read-only badge stays");
  assert(await page.locator("#mp-toggle").isHidden(), "no unpause on the page");
  assert(await page.locator("#mp-delete").isHidden(), "no delete on the page");
  equal(JSON.stringify(await visibleWriteButtons()), "[]", "no visible button that writes");
  equal(JSON.stringify(await otherButtons()), "[]", "no visible button but those that only read");
});

await step("switching to a read-write key brings the buttons back (on the list)", async () => {
  await page.selectOption("#project-select", "ops");
  await waitRows(OPS_SLUGS, "ops's rows");
  assert(await page.locator("#list-view").isVisible(), "another project opens on its list");
  assert(await page.locator("#read-only").isHidden(), "no read-only badge for ops");
  equal((await visibleWriteButtons()).map((b) => b.action).join(","), "pause,delete,pause,delete",
        "pause and delete in each row again");
});

await step("forgetting ops's key leaves web's alone: no switcher with a single key", async () => {
  await page.click("#forget-key");
  await page.locator("#confirm").waitFor({ state: "visible" });
  await page.click("#confirm-ok");
  await waitRows(WEB_SLUGS, "web's rows once ops's key is forgotten");
  assert(await page.locator("#project-select").isHidden(), "no switcher with a single key");
  equal(await page.textContent("#project-name"), "web", "web's name is shown");
  assert(await page.locator("#project-name").isVisible(), "and visible");
  assert(await page.locator("#read-only").isVisible(), "still read-only");
  equal(JSON.stringify(await visibleWriteButtons()), "[]", "still no visible button that writes");
  equal(await savedKeys(), "web:read-only", "only web's key is saved");
});

await step("logging out forgets every key", async () => {
  await page.click("#logout");
  await page.locator("#login-view").waitFor({ state: "visible" });
  equal(await page.textContent("#login-title"), "Sign in", "the plain sign-in");
  assert(await page.locator("#login-cancel").isHidden(), "nothing to go back to");
  equal(await page.evaluate(() => localStorage.getItem("heartbeat.keys")), null, "no key saved");
  equal(await page.locator("#monitor-rows tr").count(), 0, "no monitor left in the page");
  await tab2.locator("#login-view").waitFor({ state: "visible" });
  equal(await tab2.locator("#monitor-rows tr").count(), 0, "the other tab is logged out too");
});

await step("no console errors", async () => {
  equal(consoleProblems.length, 0, `console: ${consoleProblems.join("; ")}`);
});

await cleanup();
finish();
