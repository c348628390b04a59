// The dashboard's words (src/http_server/dashboard/words.js) in plain node: the cron shapes
// it describes, the ones it leaves as the expression, the lengths of time, a monitor's alert
// policies and a channel's settings in words, and what the channel form parses.
//
//   node tests/browser/words.test.mjs
//
// Exit code 0 when every case passed, 1 otherwise; the last line is "N passed, N failed".

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { steps } from "../support/harness.mjs";

const source = join(dirname(fileURLToPath(import.meta.url)), "../../src/http_server/dashboard/words.js");
const sandbox = {};
sandbox.globalThis = sandbox;
vm.runInNewContext(readFileSync(source, "utf8"), sandbox, { filename: source });
const W = sandbox.HeartbeatWords;

const { check, finish } = steps();

// Common shapes, in words.
for (const [expr, words] of [
  ["0 3 * * *", "at 03:00 every day"],
  ["30 14 * * *", "at 14:30 every day"],
  ["0 3 * * 1-5", "at 03:00 on Monday to Friday"],
  ["0 3 * * MON-FRI", "at 03:00 on Monday to Friday"],
  ["0 3 * * mon,wed,fri", "at 03:00 on Monday, Wednesday and Friday"],
  ["0 3 * * 1,3,5", "at 03:00 on Monday, Wednesday and Friday"],
  ["0 3 * * 0", "at 03:00 every Sunday"],
  ["0 3 * * 7", "at 03:00 every Sunday"],
  ["0 3 * * 6,0", "at 03:00 on Saturday and Sunday"],
  ["0 3 * * 1-3,5", "at 03:00 on Monday to Wednesday and Friday"],
  ["0 3 * * 0-6", "at 03:00 every day"],
  ["0 9,17 * * *", "at 09:00 and 17:00 every day"],
  ["0,30 9 * * *", "at 09:00 and 09:30 every day"],
  ["* * * * *", "every minute"],
  ["*/5 * * * *", "every 5 minutes"],
  ["0-59/15 * * * *", "every 15 minutes"],
  ["*/15 9-17 * * 1-5", "every 15 minutes from 09:00 to 17:59 on Monday to Friday"],
  ["0 * * * *", "every hour on the hour"],
  ["15 * * * *", "every hour at minute 15"],
  ["0 */2 * * *", "every 2 hours on the hour"],
  ["30 */6 * * *", "every 6 hours at minute 30"],
  ["0 9-17 * * *", "every hour from 09:00 to 17:00"],
  ["0 3 1 * *", "at 03:00 on the 1st of every month"],
  ["0 3 22 * *", "at 03:00 on the 22nd of every month"],
  ["0 3 13 * *", "at 03:00 on the 13th of every month"],
  ["0 3 L * *", "at 03:00 on the last day of every month"],
  ["0 0 1 1 *", "at 00:00 on 1 January every year"],
  ["0 0 25 DEC *", "at 00:00 on 25 December every year"],
]) {
  check(`cronWords(${expr})`, W.cronWords(expr), words);
}

// Anything else: null, and the page shows the expression.
for (const expr of ["*/7 * * * *", "0 */5 * * *", "0 0 1-7 * 1", "0 3 * * 1#2", "0 3 * * 5L",
                    "0 3 LW * *", "0 0 1,15 * *", "5,10,20,40,50 * * * *", "0 3 * *", "0 3 * * * *",
                    "61 3 * * *", "0 24 * * *", "0 3 * * 8", "0 3 5-1 * *", "x y z * *", ""]) {
  check(`cronWords(${expr}) falls back`, W.cronWords(expr), null);
}

// A monitor's settings in one line.
check("interval 300", W.expectation({ schedule: null, interval_secs: 300, grace_secs: 0 }),
      "every 5 minutes");
check("interval 3600", W.expectation({ schedule: null, interval_secs: 3600, grace_secs: 0 }), "every hour");
check("interval 5400 with grace", W.expectation({ schedule: null, interval_secs: 5400, grace_secs: 600 }),
      "every 1 hour 30 minutes, 10 min grace");
check("interval 90", W.expectation({ schedule: null, interval_secs: 90 }), "every 1 minute 30 seconds");
check("interval 2 weeks", W.expectation({ schedule: null, interval_secs: 1209600 }), "every 2 weeks");
check("schedule, tz, grace",
      W.expectation({ schedule: "0 3 * * *", tz: "Europe/Riga", grace_secs: 900, interval_secs: 300 }),
      "at 03:00 every day, Europe/Riga, 15 min grace");
check("schedule without grace",
      W.expectation({ schedule: "*/10 * * * *", tz: "UTC", grace_secs: 0, interval_secs: 300 }),
      "every 10 minutes, UTC");
check("uncommon schedule",
      W.expectation({ schedule: "0 0 1-7 * 1", tz: "UTC", grace_secs: 3600, interval_secs: 300 }),
      "cron 0 0 1-7 * 1, UTC, 1 h grace");

// Lengths of time.
for (const [ms, text] of [[0, "0 ms"], [850, "850 ms"], [1000, "1.0 s"], [2460, "2.4 s"],
                          [42000, "42 s"], [192000, "3 min 12 s"], [180000, "3 min"],
                          [3900000, "1 h 5 min"]]) {
  check(`runDuration(${ms})`, W.runDuration(ms), text);
}
for (const [s, text] of [[45, "45 s"], [420, "7 min"], [7500, "2 h 5 min"], [273600, "3 d 4 h"]]) {
  check(`span(${s})`, W.span(s), text);
}
check("interval(5400)", W.interval(5400), "1h 30m");

// The list's Schedule column and the page's setting: the expression, else the interval.
check("setting of a schedule", W.setting({ schedule: "0 3 * * *", tz: "UTC", interval_secs: 300 }), "0 3 * * *");
check("setting of an interval", W.setting({ schedule: null, interval_secs: 5400 }), "1h 30m");
check("setting of neither", W.setting({}), "—");
check("utc(0)", W.utc(0), "1970-01-01 00:00:00 UTC");

// A monitor's alert policies (repeat_secs, down_after, channels: null means the default).
check("repeatWords(7200)", W.repeatWords(7200), "every 2 hours");
check("repeatWords(0)", W.repeatWords(0), "never");
check("repeatWords(null)", W.repeatWords(null), "the server's default");
check("repeatWords(undefined)", W.repeatWords(undefined), "the server's default");
check("downAfterWords(1)", W.downAfterWords(1), "at the first missed deadline or failure");
check("downAfterWords(undefined)", W.downAfterWords(undefined), "at the first missed deadline or failure");
check("downAfterWords(3)", W.downAfterWords(3), "after 3 missed deadlines or failures in a row");
check("channelsWords(null)", W.channelsWords(null), "all of the project's channels");
check("channelsWords([])", W.channelsWords([]), "no channel");
check("channelsWords([a])", W.channelsWords(["ops"]), "ops");
check("channelsWords([a, b, c])", W.channelsWords(["ops", "pager", "team-slack"]), "ops, pager and team-slack");
check("snoozed: later", W.snoozed({ snoozed_until: 2000 }, 1000), true);
check("snoozed: past", W.snoozed({ snoozed_until: 1000 }, 1000), false);
check("snoozed: null", W.snoozed({ snoozed_until: null }, 1000), false);
check("snoozeWords", W.snoozeWords(14400, 0), "snoozed until 1970-01-01 04:00:00 UTC (for 4 h more)");

// A channel's settings as the server shows them, in one line.
check("channelSettings webhook",
      W.channelSettings({ name: "ops", kind: "webhook", url: "https://hooks.example.com", method: "POST",
                          headers: { "X-Token": "(hidden)", Authorization: "(hidden)" }, body: "{}" }),
      "POST https://hooks.example.com, headers X-Token, Authorization, a body template");
check("channelSettings slack", W.channelSettings({ kind: "slack", url: "https://hooks.slack.com" }),
      "https://hooks.slack.com");
check("channelSettings telegram from the environment",
      W.channelSettings({ kind: "telegram", chat_id: "-1001234567890", source: "environment" }),
      "chat -1001234567890, from the server's environment");
check("channelSettings email", W.channelSettings({ kind: "email", to: ["a@example.com", "b@example.com"] }),
      "to a@example.com and b@example.com");
check("channelSettings of nothing", W.channelSettings({ kind: "ntfy" }), "");
check("kindName(teams)", W.kindName("teams"), "Microsoft Teams");
check("kindName(unknown)", W.kindName("pigeon"), "pigeon");

// What the channel form takes.
for (const [name, ok] of [["ops", true], ["team-slack-2", true], ["a".repeat(64), true], ["", false],
                          ["a".repeat(65), false], ["Ops", false], ["ops hook", false], ["ops_hook", false]]) {
  check(`channelName(${JSON.stringify(name)})`, W.channelName(name), ok);
}
check("parseHeaders", JSON.stringify(W.parseHeaders("X-Token: abc:def\n\n  Authorization:Bearer x  \r\n")),
      JSON.stringify({ headers: { "X-Token": "abc:def", Authorization: "Bearer x" } }));
check("parseHeaders empty", JSON.stringify(W.parseHeaders("")), JSON.stringify({ headers: {} }));
check("parseHeaders without a colon", W.parseHeaders("X-Token abc").error, 'Header line 1 is not "Name: value".');
check("parseHeaders with a bad name", W.parseHeaders("ok: 1\nbad name: 2").error, 'Header line 2 is not "Name: value".');
check("parseRecipients", JSON.stringify(W.parseRecipients(" a@example.com, b@example.com;c@example.com\nd@x.org ")),
      JSON.stringify(["a@example.com", "b@example.com", "c@example.com", "d@x.org"]));

finish();
