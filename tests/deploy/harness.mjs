// The little test harness the deploy checks share: named steps that each pass or fail
// with a message, and an exit code that says whether all passed.
//
//   await step("what it checks", () => { assert(ok, "why not"); return "a note"; });
//   finish();

let passed = 0;
let failed = 0;

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.assertion = true;
  }
}

export function assert(condition, message) {
  if (!condition) throw new AssertionError(message);
}

// Runs one check; a returned string is printed under it (e.g. what was skipped and why).
export async function step(name, fn) {
  try {
    const note = await fn();
    passed++;
    console.log(`ok       ${name}${note ? `\n         ${note.replace(/\n/g, "\n         ")}` : ""}`);
  } catch (err) {
    failed++;
    const text = err && err.assertion ? err.message : String(err && err.stack ? err.stack : err);
    console.log(`FAILED   ${name}\n         ${text.replace(/\n/g, "\n         ")}`);
  }
}

// Prints the tally and exits: 0 only when every step passed (and there was one).
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
