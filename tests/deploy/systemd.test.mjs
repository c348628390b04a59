// The systemd units of deploy/: the settings the single-machine deployment relies on,
// `systemd-analyze verify` and `security --offline`, and — since no systemd runs here to
// start them — the binary run under strace as an unprivileged user, to check that every
// system call and socket family it uses passes the unit's SystemCallFilter and
// RestrictAddressFamilies. The key command documented for systemd is the one run there.
//
//   HEARTBEAT_BINARY=build/heartbeat node tests/deploy/systemd.test.mjs
//
// Without systemd-analyze, strace or HEARTBEAT_BINARY, the steps that need them are skipped
// (and say so); the static checks always run.
//
// Exit code 0 when no step failed (a skipped one is reported SKIPPED, with its reason), 1
// otherwise; the last line is "N passed, N failed, N skipped".

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync }
  from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, finish, skip, step } from "./harness.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DEPLOY = join(ROOT, "deploy");
const BINARY = process.env.HEARTBEAT_BINARY ? resolve(process.env.HEARTBEAT_BINARY) : null;
const UNITS = ["heartbeat.service", "heartbeat-check.service", "heartbeat-check.timer"];
const SERVICES = ["heartbeat.service", "heartbeat-check.service"];

const has = (cmd) => !spawnSync(cmd, ["--version"], { encoding: "utf8" }).error;

// A unit file as { section: { key: [values...] } } (a key may repeat).
function parseUnit(file) {
  const unit = {};
  let section = null;
  readFileSync(file, "utf8").split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) return;
    const header = line.match(/^\[(.+)\]$/);
    if (header) {
      section = header[1];
      unit[section] ??= {};
      return;
    }
    const kv = line.match(/^([A-Za-z0-9]+)\s*=\s*(.*)$/);
    assert(section && kv, `${file}:${i + 1}: not a setting: ${line}`);
    (unit[section][kv[1]] ??= []).push(kv[2]);
  });
  return unit;
}

const units = {};
await step("deploy/: the units parse", () => {
  for (const name of UNITS) {
    const file = join(DEPLOY, name);
    assert(existsSync(file), `deploy/${name} is missing`);
    units[name] = parseUnit(file);
  }
});

const get = (unit, key, section = "Service") => units[unit]?.[section]?.[key] ?? [];
const last = (unit, key, section) => get(unit, key, section).at(-1);

await step("heartbeat.service: serve on SQLite in its state directory, as its own user", () => {
  const u = "heartbeat.service";
  assert(last(u, "ExecStart") === "/usr/local/bin/heartbeat serve", `ExecStart=${last(u, "ExecStart")}`);
  const user = last(u, "User");
  assert(last(u, "DynamicUser") === "yes" || (user && !["root", "0"].includes(user)), "runs as root");
  assert(last(u, "StateDirectory") === "heartbeat", "StateDirectory is not heartbeat");
  assert(get(u, "Environment").includes("HEARTBEAT_STORE=sqlite:/var/lib/heartbeat/heartbeat.db"),
         "HEARTBEAT_STORE is not sqlite:/var/lib/heartbeat/heartbeat.db");
  assert(get(u, "EnvironmentFile").includes("-/etc/heartbeat/heartbeat.env"),
         "no optional EnvironmentFile=-/etc/heartbeat/heartbeat.env");
  assert(last(u, "Restart") === "on-failure", "Restart is not on-failure");
  assert(get(u, "RestartPreventExitStatus").join(" ").split(/\s+/).includes("2"),
         "a bad setting (exit 2) would be restarted for ever");
  assert(Number(last(u, "LimitNOFILE")) > 10000, "LimitNOFILE does not leave room for 10,000 connections");
  assert(get(u, "WantedBy", "Install").includes("multi-user.target"), "not WantedBy=multi-user.target");
});

await step("both services: hardened", () => {
  const want = {
    NoNewPrivileges: "yes", ProtectSystem: "strict", ProtectHome: "yes", PrivateTmp: "yes",
    PrivateDevices: "yes", MemoryDenyWriteExecute: "yes", RestrictNamespaces: "yes", RestrictSUIDSGID: "yes",
    LockPersonality: "yes", SystemCallArchitectures: "native", CapabilityBoundingSet: "",
  };
  for (const u of SERVICES) {
    for (const [key, value] of Object.entries(want)) {
      assert(last(u, key) === value, `${u}: ${key}=${last(u, key) ?? "(unset)"}, expected ${key}=${value}`);
    }
    assert(get(u, "SystemCallFilter")[0] === "@system-service", `${u}: SystemCallFilter does not start from @system-service`);
    const families = (last(u, "RestrictAddressFamilies") || "").split(/\s+/);
    assert(families.length > 0 && families.every((f) => ["AF_INET", "AF_INET6", "AF_UNIX"].includes(f)),
           `${u}: RestrictAddressFamilies=${families.join(" ")}`);
  }
});

await step("the check timer runs `heartbeat check` with the same settings file", () => {
  assert(last("heartbeat-check.service", "ExecStart") === "/usr/local/bin/heartbeat check", "heartbeat-check.service ExecStart");
  assert(last("heartbeat-check.service", "Type") === "oneshot", "heartbeat-check.service is not Type=oneshot");
  assert(get("heartbeat-check.service", "EnvironmentFile").some((f) => f.replace(/^-/, "") === "/etc/heartbeat/heartbeat.env"),
         "heartbeat-check.service does not read /etc/heartbeat/heartbeat.env");
  assert(get("heartbeat-check.timer", "OnUnitActiveSec", "Timer").length > 0, "the timer does not repeat");
  assert(get("heartbeat-check.timer", "WantedBy", "Install").includes("timers.target"), "the timer is not WantedBy=timers.target");
});

await step("heartbeat.env.example: only settings heartbeat knows, nothing set by default", () => {
  const known = new Set(["HEARTBEAT_STORE", "BIND_ADDR", "HEARTBEAT_THREADS", "MONITORS_TABLE", "KEYS_TABLE",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "DYNAMODB_ENDPOINT", "SSM_ENDPOINT", "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "TELEGRAM_BOT_TOKEN_PARAM",
    "TELEGRAM_CHAT_ID_PARAM", "TELEGRAM_API_URL", "ALERT_REPEAT_INTERVAL", "METRICS_TOKEN", "LOG_LEVEL",
    "LOG_FORMAT", "CHECK_PARTITIONS"]);
  const text = readFileSync(join(DEPLOY, "heartbeat.env.example"), "utf8");
  const set = text.split("\n").filter((l) => /^[A-Z_]+=/.test(l));
  assert(set.length === 0, `set by default (an empty value is "present but invalid"): ${set.join(", ")}`);
  const named = [...text.matchAll(/^#([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
  const unknown = named.filter((k) => !known.has(k));
  assert(named.length > 0 && unknown.length === 0, `unknown settings: ${unknown.join(", ")}`);
});

// ------------------------------------------------------------------ systemd-analyze

// Copies of the units whose ExecStart names a program that exists here (verify checks it).
function unitCopies() {
  const dir = mkdtempSync(join(tmpdir(), "heartbeat-units-"));
  const program = BINARY && existsSync(BINARY) ? BINARY : "/bin/true";
  for (const name of UNITS) {
    writeFileSync(join(dir, name),
                  readFileSync(join(DEPLOY, name), "utf8").replaceAll("/usr/local/bin/heartbeat", program));
  }
  return dir;
}

await step("systemd-analyze verify: no error, no warning", () => {
  if (!has("systemd-analyze")) skip("systemd-analyze is not installed");
  const dir = unitCopies();
  try {
    const r = spawnSync("systemd-analyze", ["verify", ...UNITS], { cwd: dir, encoding: "utf8" });
    const output = (r.stdout + r.stderr).trim();
    assert(r.status === 0 && output === "", `systemd-analyze verify (exit ${r.status}):\n${output}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

await step("systemd-analyze security --offline: exposure 2.0 or less (\"OK\")", () => {
  if (!has("systemd-analyze")) skip("systemd-analyze is not installed");
  const dir = unitCopies();
  try {
    const notes = [];
    for (const u of SERVICES) {
      const r = spawnSync("systemd-analyze", ["security", "--offline=true", "--no-pager", u], { cwd: dir, encoding: "utf8" });
      const m = (r.stdout + r.stderr).match(/Overall exposure level for \S+: ([0-9.]+)/);
      assert(m, `systemd-analyze security ${u}:\n${r.stdout}${r.stderr}`);
      assert(Number(m[1]) <= 2.0, `${u}: exposure ${m[1]}`);
      notes.push(`${u}: ${m[1]}`);
    }
    return notes.join(", ");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ the filters, for real

// Every system call group systemd knows, expanded: name -> Set of calls.
function syscallGroups() {
  const out = spawnSync("systemd-analyze", ["syscall-filter", "--no-pager"], { encoding: "utf8" }).stdout;
  const raw = {};
  let group = null;
  for (const line of out.split("\n")) {
    const head = line.match(/^(@[a-z-]+)$/);
    if (head) raw[(group = head[1])] = [];
    else if (group && /^\s+[@a-z0-9_-]+$/.test(line)) raw[group].push(line.trim());
  }
  const expand = (name, seen = new Set()) => {
    const set = new Set();
    if (seen.has(name)) return set;
    seen.add(name);
    for (const m of raw[name] || []) (m.startsWith("@") ? expand(m, seen) : [m]).forEach((c) => set.add(c));
    return set;
  };
  return Object.fromEntries(Object.keys(raw).map((g) => [g, expand(g)]));
}

// What a unit's SystemCallFilter= lines allow (allow-lists add up, ~deny-lists take away).
function allowedCalls(unit, groups) {
  const allowed = new Set();
  for (const value of get(unit, "SystemCallFilter")) {
    const deny = value.startsWith("~");
    for (const item of value.replace(/^~/, "").split(/\s+/).filter(Boolean)) {
      const calls = item.startsWith("@") ? groups[item] : new Set([item.replace(/:.*$/, "")]);
      assert(calls, `${unit}: unknown group ${item}`);
      calls.forEach((c) => (deny ? allowed.delete(c) : allowed.add(c)));
    }
  }
  return allowed;
}

// Runs the binary as an unprivileged user (nobody, when we are root: like `sudo -u heartbeat`)
// under strace -f; `done` resolves with the exit code, `signal(name)` signals the binary itself
// (strace would only detach).
function traced(dir, trace, args, env, { onStderr } = {}) {
  const root = userInfo().uid === 0;
  const argv = ["strace", "-f", "-qq", "-o", join(dir, trace), join(dir, "heartbeat"), ...args];
  // setpriv execs strace in place: the child is strace, and the binary is strace's child.
  const child = spawn(root ? "setpriv" : argv[0],
                      root ? ["--reuid=65534", "--regid=65534", "--clear-groups", ...argv] : argv.slice(1),
                      { cwd: dir, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.signalBinary = (name) => {
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/);
    assert(children[0], "the traced binary is not running");
    process.kill(Number(children[0]), name);
  };
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => {
    stderr += d;
    onStderr?.(stderr, child);
  });
  const done = new Promise((resolveDone) => child.on("exit", (code) => resolveDone({ code, stdout, stderr })));
  return { child, done };
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

let traceDir = null;
await step("the documented key command works as an unprivileged user (sudo -u heartbeat ...)", async () => {
  if (!BINARY) skip("HEARTBEAT_BINARY is not set");
  if (!has("strace")) skip("strace is not installed (the next step needs it too)");
  // The command from heartbeat.service's comment, with the state directory in a temporary one.
  const text = readFileSync(join(DEPLOY, "heartbeat.service"), "utf8");
  const m = text.match(/^#\s+sudo -u heartbeat heartbeat (keys add .*)$/m);
  assert(m, "heartbeat.service does not document `sudo -u heartbeat heartbeat keys add ...`");
  traceDir = mkdtempSync(join(tmpdir(), "heartbeat-systemd-"));
  if (userInfo().uid === 0) chownSync(traceDir, 65534, 65534);
  chmodSync(traceDir, 0o755);
  // A copy the unprivileged user can run wherever the build directory is (CI's may be in
  // a home directory closed to others).
  copyFileSync(BINARY, join(traceDir, "heartbeat"));
  chmodSync(join(traceDir, "heartbeat"), 0o755);
  const args = [...m[1].matchAll(/"([^"]*)"|(\S+)/g)].map((a) => a[1] ?? a[2])
    .map((a) => a.replaceAll("/var/lib/heartbeat", traceDir));
  const added = await withTimeout(traced(traceDir, "keys-add.trace", args, {}).done, 30000, "keys add");
  assert(added.code === 0, `heartbeat ${args.join(" ")} exited ${added.code}: ${added.stderr}`);
  assert(/^[0-9a-f]{32,}\n?$/.test(added.stdout), `stdout is not the key alone: ${JSON.stringify(added.stdout)}`);
  const listed = await withTimeout(traced(traceDir, "keys-list.trace",
    ["keys", "list", "--json", "--store", `sqlite:${traceDir}/heartbeat.db`], {}).done, 30000, "keys list");
  assert(listed.code === 0 && JSON.parse(listed.stdout).length === 1, `keys list --json: ${listed.stdout}${listed.stderr}`);
  process.env.HEARTBEAT_TEST_KEY = added.stdout.trim();
});

await step("SystemCallFilter and RestrictAddressFamilies let serve, keys and check do their work", async () => {
  if (!BINARY || !traceDir) skip("needs HEARTBEAT_BINARY and strace (see above)");
  if (!has("systemd-analyze")) skip("systemd-analyze is not installed");
  const key = process.env.HEARTBEAT_TEST_KEY;
  const env = {
    HEARTBEAT_STORE: `sqlite:${traceDir}/heartbeat.db`, BIND_ADDR: "127.0.0.1:0",
    // A Telegram that refuses connections: alerts are tried (resolver, sockets) and retried.
    TELEGRAM_BOT_TOKEN: "1:test", TELEGRAM_CHAT_ID: "1", TELEGRAM_API_URL: "http://localhost:1",
  };
  let port = null;
  const serve = traced(traceDir, "serve.trace", ["serve"], env, {
    onStderr: (text) => (port ??= (text.match(/listening on .*\(port (\d+)\)/) || [])[1]),
  });
  try {
    await withTimeout((async () => { while (!port) await new Promise((r) => setTimeout(r, 50)); })(), 20000, "serve start");
    const base = `http://127.0.0.1:${port}`;
    const auth = { headers: { Authorization: `Bearer ${key}` } };
    assert((await fetch(`${base}/healthz`)).status === 200, "/healthz");
    assert((await fetch(`${base}/heartbeat/systemd-test?interval=30s`, auth)).status === 200, "ping");
    assert((await fetch(`${base}/heartbeat/systemd-test/fail`, { method: "POST", ...auth })).status === 200, "fail");
    assert((await fetch(`${base}/monitors`, auth)).status === 200, "monitors");
    assert((await fetch(`${base}/metrics`)).status === 200, "metrics");
    await new Promise((r) => setTimeout(r, 1500)); // the alert is tried, and fails
  } finally {
    serve.child.signalBinary("SIGTERM");
  }
  const served = await withTimeout(serve.done, 30000, "serve stop");
  assert(served.code === 0, `serve exited ${served.code} after SIGTERM: ${served.stderr.slice(-2000)}`);
  await withTimeout(traced(traceDir, "check.trace", ["check"], env).done, 30000, "check");

  const groups = syscallGroups();
  const notes = [];
  for (const unit of SERVICES) {
    const allowed = allowedCalls(unit, groups);
    const families = new Set((last(unit, "RestrictAddressFamilies") || "").split(/\s+/));
    const traces = unit === "heartbeat.service" ? ["keys-add", "keys-list", "serve"] : ["check"];
    const calls = new Set();
    const usedFamilies = new Set();
    for (const t of traces) {
      const text = readFileSync(join(traceDir, `${t}.trace`), "utf8");
      for (const m of text.matchAll(/^\d+\s+([a-z0-9_]+)\(/gm)) calls.add(m[1]);
      for (const m of text.matchAll(/\bsocket\((AF_[A-Z0-9]+)/g)) usedFamilies.add(m[1]);
    }
    assert(calls.size > 20, `${unit}: only ${calls.size} system calls traced?`);
    const blocked = [...calls].filter((c) => !allowed.has(c)).sort();
    assert(blocked.length === 0, `${unit}: SystemCallFilter blocks ${blocked.join(" ")}`);
    const refused = [...usedFamilies].filter((f) => !families.has(f)).sort();
    assert(refused.length === 0, `${unit}: RestrictAddressFamilies refuses ${refused.join(" ")}`);
    notes.push(`${unit}: ${calls.size} system calls, families ${[...usedFamilies].sort().join(" ")}`);
  }
  return notes.join("\n");
});

if (traceDir) rmSync(traceDir, { recursive: true, force: true });

finish();
