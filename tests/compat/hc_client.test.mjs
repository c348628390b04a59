// Healthchecks' management API (SPEC §13) driven by a real Healthchecks client from npm,
// healthchecks-io-client (tests/tools/package.json), against the real `heartbeat serve` on
// loopback with a SQLite store in a temporary directory:
//
//   HEARTBEAT_BINARY=build/heartbeat node tests/compat/hc_client.test.mjs
//
// The client's own calls: create, list (by tag), get, update, pause, delete, pings, flips,
// integrations; resume with a plain request, as the client has no call for it. Its ping
// client is used when the server has Healthchecks' /ping/<uuid> URLs (probed first);
// without them the pings are sent with heartbeat's own /heartbeat/<slug> and read back
// through the client.
//
// Exit code 0 when every step passed, 1 otherwise; the last line is "N passed, N failed".

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { addKey, assert, equalJson as equal, heartbeat, serve, sqliteStore, steps } from "../support/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "tools", "package.json"));

const { step, finish: tally } = steps();

// The status of the StatusCodeError a client call throws.
async function statusOf(promise) {
  try {
    await promise;
    return 200;
  } catch (err) {
    if (err && err.name === "StatusCodeError") return err.statusCode;
    throw err;
  }
}

const binary = process.env.HEARTBEAT_BINARY;
const store = sqliteStore("heartbeat-hc-client-", {}, ["PUBLIC_URL"]);
delete process.env.HC_API_KEY; // the client would prefer it to the key it is given

let server = null;
let base = "";
let key = "";

function finish() {
  if (server && server.exit === null) server.kill("SIGKILL");
  store.remove();
  tally();
}

let HealthChecksApiClient;
let HealthChecksPingClient;
await step("preconditions: heartbeat binary and healthchecks-io-client are installed", async () => {
  assert(binary, "HEARTBEAT_BINARY is not set");
  ({ HealthChecksApiClient, HealthChecksPingClient } = require("healthchecks-io-client"));
});

await step("store init, keys add, and `heartbeat serve` on loopback", async () => {
  heartbeat(binary, store.env, "store", "init");
  key = addKey(binary, store.env, "--description", "hc-client");
  server = serve(binary, store.env);
  base = `http://127.0.0.1:${await server.port}`;
});

let v3 = null;
let v1 = null;
let check = null; // created through v3
await step("the client takes our base URL (v3 and its default v1)", async () => {
  v3 = new HealthChecksApiClient({ apiKey: key, baseUrl: base, apiVersion: 3 });
  v1 = new HealthChecksApiClient({ apiKey: key, baseUrl: base });
  const wrong = new HealthChecksApiClient({ apiKey: "not-a-key", baseUrl: base, apiVersion: 3 });
  equal(await statusOf(wrong.getChecks()), 401, "a wrong key");
});

await step("createCheck (v3): 201 with the check, absolute URLs on our base", async () => {
  check = await v3.createCheck({
    name: "Nightly backup", tags: "prod db", desc: "pg_dump", timeout: 3600, grace: 600,
  });
  assert(/^[0-9a-f-]{36}$/.test(check.uuid), `uuid ${check.uuid}`);
  equal(check.name, "Nightly backup", "name");
  equal(check.slug, "", "a v3 check created without a slug has none");
  equal(check.timeout, 3600, "timeout");
  equal(check.grace, 600, "grace");
  equal(check.status, "new", "status");
  equal(check.ping_url, `${base}/ping/${check.uuid}`, "ping_url");
  equal(check.update_url, `${base}/api/v3/checks/${check.uuid}`, "update_url");
  // The monitor behind it, in heartbeat's own API.
  const res = await fetch(`${base}/monitors/${check.uuid}`, { headers: { Authorization: `Bearer ${key}` } });
  equal(res.status, 200, "GET /monitors/<uuid>");
  const m = await res.json();
  equal([m.interval_secs, m.grace_secs, m.max_runtime_secs], [3600, 600, 600], "interval, grace, max_runtime");
});

let named = null;
await step("createCheck (v1): the slug comes from the name; unique updates", async () => {
  named = await v1.createCheck({ name: "Queue Drain", tags: "prod", timeout: 300, unique: ["name"] });
  equal(named.slug, "queue-drain", "slug");
  const again = await v1.createCheck({ name: "Queue Drain", desc: "again", unique: ["name"] });
  equal(again.update_url, named.update_url, "the same check");
  equal(again.desc, "again", "desc updated");
});

await step("getChecks: all, by one tag, by two tags", async () => {
  equal((await v3.getChecks()).checks.length, 2, "all");
  equal((await v3.getChecks(["prod"])).checks.map((c) => c.name).sort(), ["Nightly backup", "Queue Drain"], "prod");
  equal((await v3.getChecks(["prod", "db"])).checks.map((c) => c.name), ["Nightly backup"], "prod and db");
  equal((await v3.getChecks(["nothing"])).checks, [], "no match");
});

await step("getCheck", async () => {
  const got = await v3.getCheck(check.uuid);
  equal(got, check, "the created check");
  equal(await statusOf(v3.getCheck("00000000-0000-4000-8000-000000000000")), 404, "unknown uuid");
});

await step("updateCheck: only the given fields", async () => {
  const updated = await v3.updateCheck(check.uuid, { desc: "pg_dump --all", timeout: 7200 });
  equal(updated.desc, "pg_dump --all", "desc");
  equal(updated.timeout, 7200, "timeout");
  equal(updated.tags, "prod db", "tags kept");
  equal(updated.grace, 600, "grace kept");
  const cron = await v3.updateCheck(check.uuid, { schedule: "0 3 * * *", tz: "Europe/Riga" });
  equal([cron.schedule, cron.tz, cron.timeout], ["0 3 * * *", "Europe/Riga", undefined], "schedule");
  await v3.updateCheck(check.uuid, { timeout: 3600 });
});

let pingUrls = false;
await step("pings: through the ping client when /ping/<uuid> exists, else heartbeat's own", async () => {
  const probe = await fetch(`${base}/ping/${check.uuid}/log`, { method: "POST", body: "probe" });
  pingUrls = probe.status === 200;
  if (pingUrls) {
    const pinger = new HealthChecksPingClient({ uuid: check.uuid, baseUrl: `${base}/ping` });
    await pinger.start();
    await pinger.success("all good");
    await pinger.fail("disk full");
  } else {
    console.log("         (no /ping/<uuid> in this build: pings sent to /heartbeat/<slug>)");
    for (const [path, body] of [["", null], ["/start", null], ["", "all good"], ["/fail", "disk full"]]) {
      const res = await fetch(`${base}/heartbeat/${check.uuid}${path}`, {
        method: "POST", headers: { Authorization: `Bearer ${key}` }, body: body ?? undefined,
      });
      equal(res.status, 200, `signal ${path}`);
    }
  }
});

await step("listPings: newest first, Healthchecks' shape; the body URL serves the body", async () => {
  const { pings } = await v3.listPings(check.uuid);
  const types = pings.map((p) => p.type);
  equal(types.slice(0, 3), ["fail", "success", "start"], "types");
  for (const p of pings) {
    assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/.test(p.date), `date ${p.date}`);
    for (const field of ["n", "scheme", "remote_addr", "method", "ua", "rid", "body_url"]) {
      assert(field in p, `${field} in ${JSON.stringify(p)}`);
    }
  }
  assert(pings[1].body_url, "the success has a body");
  const body = await fetch(pings[1].body_url, { headers: { "X-Api-Key": key } });
  equal([body.status, await body.text()], [200, "all good"], "the body");
  const got = await v3.getCheck(check.uuid);
  equal(got.status, "down", "after the failure");
  equal(got.n_pings, pings[0].n, "n_pings");
});

await step("pauseCheck, then resume (a plain request: the client has no call for it)", async () => {
  const paused = await v3.pauseCheck(check.uuid);
  equal(paused.status, "paused", "paused");
  const resume = await fetch(paused.resume_url, { method: "POST", headers: { "X-Api-Key": key } });
  equal(resume.status, 200, "resume");
  equal((await resume.json()).status, "up", "resumed: a fresh period from now");
  const again = await fetch(paused.resume_url, { method: "POST", headers: { "X-Api-Key": key } });
  equal([again.status, await again.json()], [409, { error: "check is not paused" }], "resume again");
});

await step("listFlips and getIntegrations", async () => {
  equal(Array.isArray((await v3.listFlips(check.uuid)).flips), true, "flips");
  equal(await v3.getIntegrations(), { channels: [] }, "no channels yet");
});

await step("deleteCheck: the check as it was; then it is gone", async () => {
  const deleted = await v3.deleteCheck(check.uuid);
  equal(deleted.update_url, check.update_url, "the deleted check");
  equal(await statusOf(v3.getCheck(check.uuid)), 404, "gone");
  equal((await v1.getChecks()).checks.map((c) => c.slug), ["queue-drain"], "the other remains");
});

finish();
