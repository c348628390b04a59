// The little test harness the deploy checks share: named steps that each pass, fail with
// a message, or are skipped with a reason (a tool that is not installed), and an exit code
// that says whether all that ran passed.
//
//   await step("what it checks", () => { assert(ok, "why not"); return "a note"; });
//   await step("what needs a tool", () => { if (!tool) skip("tool is not installed"); ... });
//   finish();

let passed = 0;
let failed = 0;
let skipped = 0;

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.assertion = true;
  }
}

export function assert(condition, message) {
  if (!condition) throw new AssertionError(message);
}

class Skip extends Error {}

// Ends the current step as skipped (not passed): reported as SKIPPED with `reason`, and
// counted apart in the tally.
export function skip(reason) {
  throw new Skip(reason);
}

// Runs one check; a returned string is printed under it.
export async function step(name, fn) {
  try {
    const note = await fn();
    passed++;
    console.log(`ok       ${name}${note ? `\n         ${note.replace(/\n/g, "\n         ")}` : ""}`);
  } catch (err) {
    if (err instanceof Skip) {
      skipped++;
      console.log(`SKIPPED  ${name}\n         ${err.message}`);
      return;
    }
    failed++;
    const text = err && err.assertion ? err.message : String(err && err.stack ? err.stack : err);
    console.log(`FAILED   ${name}\n         ${text.replace(/\n/g, "\n         ")}`);
  }
}

// Prints the tally and exits: 0 only when no step failed and one passed (a skipped step
// neither passes nor fails).
export function finish() {
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
