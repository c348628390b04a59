// What the browser tests share (dashboard.test.mjs, projects.test.mjs): Debian's chromium
// driven through playwright-core, from this folder's package.json. It stays here, next to
// node_modules, so that node finds playwright-core from it.

import { existsSync } from "node:fs";
import { assert } from "../support/harness.mjs";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

// The checks of a browser test's preconditions step: the heartbeat binary, chromium and
// playwright-core are installed. Returns playwright-core's chromium.
export async function browserPreconditions(binary) {
  assert(binary, "HEARTBEAT_BINARY is not set");
  assert(existsSync(binary), `HEARTBEAT_BINARY=${binary} does not exist`);
  assert(existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/install-deps.sh installs chromium)`);
  try {
    return (await import("playwright-core")).chromium;
  } catch (err) {
    throw new Error(`playwright-core is missing: run "npm ci" in tests/browser (scripts/install-deps.sh does): ${err.message}`);
  }
}

// Headless chromium, with nothing of its own on the network.
export function launchChromium(chromium) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
