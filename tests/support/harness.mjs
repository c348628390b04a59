// What the JavaScript tests that drive the real `heartbeat serve` share (tests/browser/,
// tests/compat/): named steps run in order, where the first failure stops the rest; checks
// that throw; and the server itself, on loopback with a SQLite store in a temporary
// directory. Plain node, no npm package: each test imports it by its relative path.
//
//   const { step, finish } = steps({ timeoutMs: 15000, timed: true });
//   const store = sqliteStore("heartbeat-mine-");
//   await step("starts `heartbeat serve`", async () => {
//     const key = addKey(binary, store.env, "--description", "mine");
//     server = serve(binary, store.env);
//     base = `http://127.0.0.1:${await server.port}`;
//   });
//   finish(); // "N passed, N failed"; exit code 0 only when none failed and one passed
//
// (tests/deploy/harness.mjs is the deploy checks' own: steps that may be skipped, and that
// do not stop the rest.)

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// ------------------------------------------------------------------ steps and checks

// A runner of steps, with its tally. `timeoutMs` (0: none) bounds each step unless the step
// is given its own; `timed` adds each passed step's time to its "ok" line.
export function steps({ timeoutMs = 0, timed = false } = {}) {
  let passed = 0;
  let failed = 0;
  let aborted = null; // the first failure: later steps depend on earlier ones

  async function step(name, fn, ms = timeoutMs) {
    if (aborted) {
      failed++;
      console.log(`not run  ${name} (after "${aborted}" failed)`);
      return;
    }
    const started = Date.now();
    try {
      await (ms ? withTimeout(fn(), ms, name) : fn());
      passed++;
      console.log(`ok       ${name}${timed ? ` (${Date.now() - started} ms)` : ""}`);
    } catch (err) {
      failed++;
      aborted = name;
      console.log(`FAILED   ${name}\n         ${String(err && err.stack ? err.stack : err).replace(/\n/g, "\n         ")}`);
    }
  }

  // One counted case outside any step: only a failure prints a line.
  function check(what, actual, expected) {
    if (actual === expected) {
      passed++;
    } else {
      failed++;
      console.log(`FAILED   ${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
  }

  function finish() {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  }

  // An exception outside any step counts as a failure; `cleanup` runs, then finish().
  function finishOnUncaught(cleanup) {
    process.on("uncaughtException", async (err) => {
      console.log(`FAILED   uncaught: ${err.stack || err}`);
      failed++;
      await cleanup();
      finish();
    });
  }

  return {
    step, check, finish, finishOnUncaught,
    get aborted() { return aborted; },
  };
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

// The same value: `===`.
export function equal(actual, expected, message) {
  if (actual !== expected) {
    throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

// The same JSON: arrays and objects compared by what they hold (keys in the same order).
export function equalJson(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message}: expected ${e}, got ${a}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ the server

// A temporary directory and the environment of heartbeat commands on a SQLite store in it:
// serve binds an ephemeral loopback port, logs at info, and sends no Telegram message.
// `extra` adds variables; `drop` removes more of the inherited ones. remove() deletes the
// directory.
export function sqliteStore(prefix, extra = {}, drop = []) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    ...process.env,
    HEARTBEAT_STORE: `sqlite:${join(dir, "h.db")}`,
    BIND_ADDR: "127.0.0.1:0",
    LOG_LEVEL: "info",
    ...extra,
  };
  for (const name of ["TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", ...drop]) delete env[name];
  return { dir, env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// Runs `heartbeat args...` to its end: its trimmed standard output; throws unless it exits 0.
export function heartbeat(binary, env, ...args) {
  const r = spawnSync(binary, args, { env, encoding: "utf8" });
  equal(r.status, 0, `heartbeat ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

// `heartbeat keys add args...`: the key it printed, which must look like one.
export function addKey(binary, env, ...args) {
  const key = heartbeat(binary, env, "keys", "add", ...args);
  assert(/^[\x21-\x7e]{16,}$/.test(key), `keys add printed ${JSON.stringify(key)}`);
  return key;
}

// Starts `heartbeat serve`: its child process, with
//   port    a promise of the port from its "(port N)" line; rejected if it exits first, or
//           after 10 s without one,
//   exited  a promise of { code, signal } once it exits, and `exit` that value (null before),
//   log     its standard error so far.
export function serve(binary, env) {
  const server = spawn(binary, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
  server.exit = null;
  server.log = "";
  server.exited = new Promise((resolve) => server.on("exit", (code, signal) => {
    server.exit = { code, signal };
    resolve(server.exit);
  }));
  server.port = new Promise((resolve, reject) => {
    server.stderr.setEncoding("utf8");
    server.stderr.on("data", (chunk) => {
      server.log += chunk;
      const m = /\(port (\d+)\)/.exec(server.log);
      if (m) resolve(Number(m[1]));
    });
    server.exited.then(({ code, signal }) => reject(new Error(`serve exited (${code ?? signal}): ${server.log}`)));
    setTimeout(() => reject(new Error(`no "(port N)" line within 10 s: ${server.log}`)), 10000);
  });
  return server;
}
