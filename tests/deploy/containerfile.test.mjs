// The Containerfile, read statically (no container engine can pull images here): two Debian 12
// stages, packages that exist in Debian 12, a runtime stage with exactly the libraries the
// binary links, an unprivileged user owning the /data volume, port 3000, a HEALTHCHECK on
// /healthz, `heartbeat serve` by default, and a .dockerignore that keeps the context small.
//
//   HEARTBEAT_BINARY=build/heartbeat node tests/deploy/containerfile.test.mjs
//
// The package names are checked with `apt-cache policy` against this machine's Debian 12
// package lists (scripts/install-deps.sh runs apt-get update before it installs anything).
// With HEARTBEAT_BINARY, the runtime stage's libraries are compared with the binary's
// NEEDED entries (readelf, dpkg -S); without it, that step is skipped.
//
// Exit code 0 when no step failed (a skipped one is reported SKIPPED, with its reason), 1
// otherwise; the last line is "N passed, N failed, N skipped".

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, finish, skip, step } from "./harness.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CONTAINERFILE = process.env.CONTAINERFILE || join(ROOT, "Containerfile");
const BINARY = process.env.HEARTBEAT_BINARY;

function run(cmd, args) {
  return spawnSync(cmd, args, { encoding: "utf8" });
}

// ------------------------------------------------------------------ parsing

// Instructions { keyword, args, line } in order: comment lines dropped (also inside a
// continued instruction, as the builders do), backslash-continued lines joined.
function parseContainerfile(text) {
  const instructions = [];
  let current = null;
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    if (/^\s*#/.test(line)) return;
    if (current === null) {
      if (/^\s*$/.test(line)) return;
      const m = line.match(/^\s*([A-Za-z]+)\s*(.*)$/);
      assert(m, `line ${index + 1}: not an instruction: ${line}`);
      current = { keyword: m[1].toUpperCase(), args: "", line: index + 1 };
      line.length && (current.args = m[2]);
    } else {
      current.args += " " + line.trim();
    }
    if (current.args.endsWith("\\")) {
      current.args = current.args.slice(0, -1).trimEnd();
    } else {
      current.args = current.args.trim();
      instructions.push(current);
      current = null;
    }
  });
  assert(current === null, "the file ends inside a continued instruction");
  return instructions;
}

function stagesOf(instructions) {
  const stages = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const m = ins.args.match(/^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      assert(m, `line ${ins.line}: FROM ${ins.args}`);
      stages.push({ image: m[1], name: m[2] || String(stages.length), instructions: [] });
    } else {
      assert(stages.length > 0 || ins.keyword === "ARG", `line ${ins.line}: ${ins.keyword} before the first FROM`);
      if (stages.length) stages.at(-1).instructions.push(ins);
    }
  }
  return stages;
}

// The packages of every `apt-get install` in a stage's RUN instructions.
function aptPackages(stage) {
  const packages = [];
  for (const ins of stage.instructions.filter((i) => i.keyword === "RUN")) {
    for (const m of ins.args.matchAll(/apt-get\s+install\s+([^&|;]*)/g)) {
      packages.push(...m[1].split(/\s+/).filter((w) => w && !w.startsWith("-")));
    }
  }
  return packages;
}

const of = (stage, keyword) => stage.instructions.filter((i) => i.keyword === keyword);
const DEBIAN = /^(?:docker\.io\/(?:library\/)?)?debian:(bookworm(?:-slim)?)(?:@sha256:[0-9a-f]{64})?$/;

let stages = null;
let build = null;
let runtime = null;

await step("Containerfile: parses into stages", () => {
  assert(existsSync(CONTAINERFILE), `${CONTAINERFILE} does not exist`);
  stages = stagesOf(parseContainerfile(readFileSync(CONTAINERFILE, "utf8")));
  assert(stages.length >= 2, `a multi-stage build is expected, found ${stages.length} stage(s)`);
  build = stages[0];
  runtime = stages.at(-1);
  return stages.map((s) => `${s.name}: ${s.image}`).join("\n");
});

if (!stages) finish();

await step("stages: debian:bookworm builds, debian:bookworm-slim runs", () => {
  for (const s of stages) assert(DEBIAN.test(s.image), `stage ${s.name} is not Debian 12: ${s.image}`);
  assert(build.image.match(DEBIAN)[1] === "bookworm", `the build stage is ${build.image}, not debian:bookworm`);
  assert(runtime.image.match(DEBIAN)[1] === "bookworm-slim", `the runtime stage is ${runtime.image}, not bookworm-slim`);
  assert(build.name !== "0", "the build stage has no name (FROM ... AS build)");
});

await step("build stage: a Release build of heartbeat with cmake", () => {
  const runs = of(build, "RUN").map((i) => i.args).join("\n");
  assert(/cmake\b[^\n]*-DCMAKE_BUILD_TYPE=Release/.test(runs), "no cmake configure with -DCMAKE_BUILD_TYPE=Release");
  assert(/cmake\s+--build\b/.test(runs), "no cmake --build");
  assert(/-DHEARTBEAT_TESTS=OFF/.test(runs), "the tests are built too (-DHEARTBEAT_TESTS=OFF keeps GTest out)");
  assert(aptPackages(build).includes("cmake"), "cmake is not installed in the build stage");
});

await step("build stage: every apt package is one scripts/install-deps.sh installs too", () => {
  const script = readFileSync(join(ROOT, "scripts", "install-deps.sh"), "utf8");
  const list = script.match(/packages=\(([\s\S]*?)\n\)/);
  assert(list, "cannot find the packages=( ... ) list in scripts/install-deps.sh");
  const known = new Set(list[1].replace(/#.*$/gm, "").split(/\s+/).filter(Boolean));
  const unknown = aptPackages(build).filter((p) => !known.has(p));
  assert(unknown.length === 0, `not in scripts/install-deps.sh: ${unknown.join(" ")}`);
});

await step("every RUN and the HEALTHCHECK are valid sh", () => {
  for (const s of stages) {
    for (const ins of [...of(s, "RUN"), ...of(s, "HEALTHCHECK")]) {
      const script = ins.keyword === "RUN" ? ins.args : ins.args.replace(/^(--\S+\s+)*CMD\s+/, "");
      if (script.startsWith("[")) continue;
      const r = run("sh", ["-n", "-c", script]);
      assert(r.status === 0, `line ${ins.line}: sh -n: ${r.stderr.trim()}`);
    }
  }
});

await step("apt packages: every one exists in Debian 12 (apt-cache policy)", () => {
  const osRelease = existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "";
  assert(/^VERSION_CODENAME=bookworm$/m.test(osRelease),
         "this machine is not Debian 12, so its package lists cannot tell what bookworm has");
  const lists = existsSync("/var/lib/apt/lists") ? readdirSync("/var/lib/apt/lists") : [];
  assert(lists.some((f) => f.includes("_Packages")), "no apt package lists: run apt-get update first");
  const all = [...new Set(stages.flatMap(aptPackages))].sort();
  // One apt-cache call for all (each call loads the package cache: about a second). It
  // answers "NAME:" then its "Candidate:" line for each package it knows.
  const policy = run("apt-cache", ["policy", ...all]).stdout;
  const candidates = new Map();
  let current = null;
  for (const line of policy.split("\n")) {
    const head = line.match(/^(\S+):$/);
    if (head) current = head[1];
    const candidate = line.match(/^\s+Candidate:\s*(\S+)/);
    if (candidate && current) candidates.set(current, candidate[1]);
  }
  const missing = all.filter((p) => !candidates.has(p) || candidates.get(p) === "(none)");
  assert(missing.length === 0, `not in Debian 12 (no installable candidate): ${missing.join(" ")}`);
  return `${all.length} packages: ${all.join(" ")}`;
});

await step("runtime stage: libraries only (no -dev package, no compiler), CA certificates", () => {
  const packages = aptPackages(runtime);
  const dev = packages.filter((p) => /-dev$|^build-essential$|^g\+\+|^gcc|^cmake$|^clang/.test(p));
  assert(dev.length === 0, `build tools in the runtime stage: ${dev.join(" ")}`);
  assert(packages.includes("ca-certificates"), "ca-certificates is missing (TLS to Telegram and AWS)");
  for (const ins of of(runtime, "RUN")) {
    if (ins.args.includes("apt-get install")) {
      assert(ins.args.includes("--no-install-recommends"), `line ${ins.line}: apt-get install without --no-install-recommends`);
      assert(/rm -rf \/var\/lib\/apt\/lists/.test(ins.args), `line ${ins.line}: the apt lists stay in the image`);
    }
  }
});

await step("runtime stage: the libraries installed are the ones the binary links (HEARTBEAT_BINARY)", () => {
  if (!BINARY) skip("HEARTBEAT_BINARY is not set");
  assert(existsSync(BINARY), `HEARTBEAT_BINARY=${BINARY} does not exist`);
  const elf = run("readelf", ["-d", BINARY]);
  assert(elf.status === 0, `readelf -d ${BINARY}: ${elf.stderr}`);
  const needed = [...elf.stdout.matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]);
  assert(needed.length > 0, "the binary needs no shared library?");
  const ldd = run("ldd", [BINARY]).stdout;
  // Always in debian:bookworm-slim (essential, or needed by apt itself).
  const base = new Set(["libc6", "libgcc-s1", "libstdc++6"]);
  const runtimePackages = new Set(aptPackages(runtime));
  const required = new Set();
  const unknown = [];
  for (const soname of needed) {
    const path = (ldd.match(new RegExp(`^\\s*${soname.replace(/[.+]/g, "\\$&")} => (\\S+)`, "m")) || [])[1];
    const triplet = path ? path.split("/").at(-2) : "";
    const owners = run("dpkg", ["-S", `*/${soname}`]).stdout.split("\n")
      .filter((l) => l.trim().endsWith(`/${triplet}/${soname}`))
      .map((l) => l.split(":")[0].trim());
    if (owners.length === 0) unknown.push(soname);
    else required.add(owners[0]);
  }
  assert(unknown.length === 0, `no Debian package found for ${unknown.join(" ")}`);
  const missing = [...required].filter((p) => !runtimePackages.has(p) && !base.has(p)).sort();
  const unused = [...runtimePackages].filter((p) => /^lib/.test(p) && !required.has(p)).sort();
  assert(missing.length === 0, `the binary links libraries the runtime stage does not install: ${missing.join(" ")}`);
  assert(unused.length === 0, `the runtime stage installs libraries the binary does not link: ${unused.join(" ")}`);
  return `NEEDED from: ${[...required].sort().join(" ")}`;
});

await step("runtime stage: the binary comes from the build stage", () => {
  const copies = of(runtime, "COPY").map((i) => i.args);
  assert(copies.some((a) => a.includes(`--from=${build.name}`) && /\bheartbeat\b/.test(a)),
         `no COPY --from=${build.name} of the heartbeat binary`);
});

let user = null;
await step("runtime stage: runs as an unprivileged user that owns /data", () => {
  const users = of(runtime, "USER");
  assert(users.length > 0, "no USER: the container would run as root");
  user = users.at(-1).args.split(":")[0];
  assert(!["root", "0"].includes(user), `USER ${users.at(-1).args} is root`);
  const runs = of(runtime, "RUN").map((i) => i.args).join("\n");
  // The user exists under that name or number, and /data is chowned to it.
  const created = runs.match(/useradd\b[^\n&]*?(?:--uid|-u)\s+(\d+)[^\n&]*?\s([a-z_][a-z0-9_-]*)\s*(?:&&|$)/m);
  assert(created, "no useradd --uid N NAME in the runtime stage");
  const [, uid, name] = created;
  assert(user === uid || user === name, `USER ${user} is not the user created (${name}, uid ${uid})`);
  assert(new RegExp(`chown\\s+(?:-R\\s+)?(${name}|${uid})(:\\S+)?\\s+/data\\b`).test(runs), "/data is not chowned to that user");
});

await step("runtime stage: VOLUME /data, EXPOSE 3000, SQLite in /data by default", () => {
  const volumes = of(runtime, "VOLUME").map((i) => i.args).join(" ");
  assert(/(^|[\s\["])\/data(["\]\s]|$)/.test(volumes), `no VOLUME /data (${volumes || "none"})`);
  const exposed = of(runtime, "EXPOSE").flatMap((i) => i.args.split(/\s+/));
  assert(exposed.includes("3000") || exposed.includes("3000/tcp"), `no EXPOSE 3000 (${exposed.join(" ") || "none"})`);
  const env = of(runtime, "ENV").map((i) => i.args).join(" ");
  assert(/HEARTBEAT_STORE=sqlite:\/data\/\S+/.test(env), "HEARTBEAT_STORE does not default to a SQLite file in /data");
});

await step("runtime stage: HEALTHCHECK on /healthz, with a tool the image has", () => {
  const checks = of(runtime, "HEALTHCHECK");
  assert(checks.length === 1, `expected one HEALTHCHECK, found ${checks.length}`);
  const args = checks[0].args;
  assert(/\bCMD\b/.test(args) && args.includes("/healthz"), `HEALTHCHECK does not ask /healthz: ${args}`);
  const tool = args.replace(/^(--\S+\s+)*CMD\s+/, "").replace(/^\[\s*"/, "").split(/[\s"]/)[0];
  const ownBinary = /heartbeat$/.test(tool);
  assert(ownBinary || aptPackages(runtime).includes(tool), `the HEALTHCHECK runs ${tool}, which the runtime stage does not install`);
});

await step("runtime stage: starts `heartbeat serve`", () => {
  const entry = of(runtime, "ENTRYPOINT").at(-1);
  assert(entry, "no ENTRYPOINT");
  const parse = (ins) => (ins ? (ins.args.startsWith("[") ? JSON.parse(ins.args) : ins.args.split(/\s+/)) : []);
  assert(entry.args.startsWith("["), "ENTRYPOINT in shell form: signals would go to /bin/sh, not to heartbeat");
  const argv = [...parse(entry), ...parse(of(runtime, "CMD").at(-1))];
  assert(/(^|\/)heartbeat$/.test(argv[0]), `the entry point is ${argv[0]}`);
  assert(argv[1] === "serve", `the default command is \`${argv.join(" ")}\`, not heartbeat serve`);
  return argv.join(" ");
});

await step(".dockerignore: build directories, node_modules, data and .git stay out of the context", () => {
  const file = join(dirname(CONTAINERFILE), ".dockerignore");
  assert(existsSync(file), ".dockerignore is missing");
  const lines = readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const [what, pattern] of [["build", /^\/?build\*?\/?$/], ["build-*", /^\/?build(-\*|\*)\/?$/],
                                 ["node_modules", /node_modules\/?$/], ["data", /^\/?data\/?$/], [".git", /^\/?\.git\/?$/]]) {
    assert(lines.some((l) => pattern.test(l)), `.dockerignore does not exclude ${what}`);
  }
  const containerignore = join(dirname(CONTAINERFILE), ".containerignore");
  assert(!existsSync(containerignore) || readFileSync(containerignore, "utf8") === readFileSync(file, "utf8"),
         ".containerignore differs from .dockerignore (podman would read the former, docker the latter)");
});

finish();
