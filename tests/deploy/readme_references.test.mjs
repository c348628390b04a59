// Every pointer into the user's guide or the engineering notes from a comment elsewhere in
// the tree, written (README, "Some heading") or (docs/ENGINEERING.md, "Some heading") and
// possibly wrapped over two comment lines, names a heading that document has (its text
// without backticks), so that a renamed or moved section fails here. And every link
// between the two documents (or within one) that names a section, [text](#anchor) or
// [text](docs/ENGINEERING.md#anchor), lands on a heading GitHub would give that anchor.
//
//   node tests/deploy/readme_references.test.mjs
//
// The files are those git tracks: outside a git checkout the reference steps are skipped,
// and the test fails, as every harness run with no step passed does (it checked nothing).
// Exit code 0 when a step passed and none failed; the last line is "N passed, N failed,
// N skipped".

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, finish, skip, step } from "./harness.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// The documents a comment may point into: the name a reference uses, and the file.
const DOCUMENTS = [
  { name: "README", file: "README.md" },
  { name: "docs/ENGINEERING.md", file: "docs/ENGINEERING.md" },
];

// The headings of a Markdown file (outside fenced code blocks, where "# " is a shell
// comment), as written without backticks.
function headingsOf(file) {
  const headings = [];
  let fenced = false;
  for (const line of readFileSync(join(ROOT, file), "utf8").split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced && /^#{1,6} /.test(line)) headings.push(line.replace(/^#+ /, "").replaceAll("`", "").trim());
  }
  return headings;
}

// The anchors GitHub gives those headings: lower case, punctuation dropped, spaces to
// hyphens, "-1", "-2" … after a repeated one.
function anchorsOf(file) {
  const anchors = new Set();
  const seen = new Map();
  for (const heading of headingsOf(file)) {
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

// The text of a file with comment markers at line starts removed and lines joined, so that
// a reference wrapped over two comment lines reads as one.
function flattened(text) {
  return text
    .split("\n")
    .map((line) => line.replace(/^\s*(#|\/\/|;|--)\s?/, "").trim())
    .join(" ");
}

function trackedFiles() {
  const listed = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" });
  if (listed.error || listed.status !== 0) skip(`not a git checkout (git ls-files: ${listed.error || listed.stderr})`);
  return listed.stdout.split("\0").filter(Boolean);
}

const self = "tests/deploy/readme_references.test.mjs"; // its examples are no references
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

for (const doc of DOCUMENTS) {
  await step(`every (${doc.name}, "...") names a heading of ${doc.file}`, () => {
    const headings = new Set(headingsOf(doc.file));
    const pattern = new RegExp(`${escapeRe(doc.name)}, \\\\?"([^"\\\\]+)\\\\?"`, "g");
    const found = [];
    const broken = [];
    for (const file of trackedFiles()) {
      if (file === self || DOCUMENTS.some((d) => d.file === file)) continue;
      let text;
      try {
        text = readFileSync(join(ROOT, file), "utf8");
      } catch {
        continue; // a submodule or a file git lists but the checkout lacks
      }
      if (!text.includes(doc.name)) continue;
      for (const m of flattened(text).matchAll(pattern)) {
        // "docs/ENGINEERING.md, ..." is no "(README, ...)" reference, and the other way round.
        const name = m[1].replace(/\s+/g, " ").replaceAll("`", "").trim();
        found.push(`${file}: ${name}`);
        if (!headings.has(name)) broken.push(`${file}: "${name}"`);
      }
    }
    assert(found.length > 0, `no (${doc.name}, "...") reference found: the pattern no longer matches how they are written`);
    assert(broken.length === 0, `no such heading in ${doc.file}:\n${broken.join("\n")}`);
    return found.join("\n");
  });
}

await step("every link to a section of README.md or docs/ENGINEERING.md lands on a heading", () => {
  const anchors = new Map(DOCUMENTS.map((d) => [d.file, anchorsOf(d.file)]));
  const checked = [];
  const broken = [];
  for (const doc of DOCUMENTS) {
    const text = readFileSync(join(ROOT, doc.file), "utf8");
    for (const m of text.matchAll(/\]\(([^)\s]*#[^)\s]+)\)/g)) {
      const [path, anchor] = m[1].split("#");
      if (/^[a-z]+:/.test(path)) continue; // another site
      const target = path === "" ? doc.file : normalize(join(dirname(doc.file), path));
      if (!anchors.has(target)) continue; // a section of a document this test does not know
      checked.push(`${doc.file} -> ${m[1]}`);
      if (!anchors.get(target).has(anchor)) broken.push(`${doc.file}: ${m[1]} (no such heading in ${target})`);
    }
  }
  assert(checked.length > 0, "no section link found: the pattern no longer matches how they are written");
  assert(broken.length === 0, `links to no heading:\n${broken.join("\n")}`);
  return `${checked.length} links`;
});

finish();
