// Every pointer into the README from a comment elsewhere in the tree, written
// (README, "Some heading") and possibly wrapped over two comment lines, names a heading the
// README has (its text without backticks), so that a renamed section fails here.
//
//   node tests/deploy/readme_references.test.mjs
//
// The files are those git tracks: outside a git checkout the step is skipped, and the test
// fails, as every harness run with no step passed does (it checked nothing). Exit code 0
// when a step passed and none failed; the last line is "N passed, N failed, N skipped".

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, finish, skip, step } from "./harness.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const headings = new Set(
  readFileSync(join(ROOT, "README.md"), "utf8")
    .split("\n")
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => line.replace(/^#+ /, "").replaceAll("`", "").trim()),
);

// The text of a file with comment markers at line starts removed and lines joined, so that
// a reference wrapped over two comment lines reads as one.
function flattened(text) {
  return text
    .split("\n")
    .map((line) => line.replace(/^\s*(#|\/\/|;|--)\s?/, "").trim())
    .join(" ");
}

await step('every (README, "...") names a README heading', () => {
  const listed = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" });
  if (listed.error || listed.status !== 0) skip(`not a git checkout (git ls-files: ${listed.error || listed.stderr})`);
  const self = "tests/deploy/readme_references.test.mjs"; // its examples are no references
  const files = listed.stdout.split("\0").filter((f) => f && f !== "README.md" && f !== self);
  const found = [];
  const broken = [];
  for (const file of files) {
    let text;
    try {
      text = readFileSync(join(ROOT, file), "utf8");
    } catch {
      continue; // a submodule or a file git lists but the checkout lacks
    }
    if (!text.includes("README")) continue;
    for (const m of flattened(text).matchAll(/README, \\?"([^"\\]+)\\?"/g)) {
      const name = m[1].replace(/\s+/g, " ").replaceAll("`", "").trim();
      found.push(`${file}: ${name}`);
      if (!headings.has(name)) broken.push(`${file}: "${name}"`);
    }
  }
  assert(found.length > 0, 'no (README, "...") reference found: the pattern no longer matches how they are written');
  assert(broken.length === 0, `no such README heading:\n${broken.join("\n")}`);
  return found.join("\n");
});

finish();
