// Numbers and settings in words for the dashboard: lengths of time, a monitor's interval or
// cron schedule ("at 03:00 every day, Europe/Riga, 15 min grace"), its alert policies, a
// channel's settings, and the parsing of what the channel form takes. Pure functions, no DOM:
// the page reads them as window.HeartbeatWords, and tests/browser/words.test.mjs runs them
// in plain node.
"use strict";

(() => {
  const pad = (n) => String(n).padStart(2, "0");

  // A Unix time as "2026-12-07 02:00:00 UTC".
  function utc(unixSeconds) {
    const d = new Date(unixSeconds * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  }

  // A length of time for people: "45 s", "7 min", "2 h 5 min", "3 d 4 h".
  function span(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min`;
    const h = Math.floor(m / 60);
    if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
    const d = Math.floor(h / 24);
    if (d < 30) return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
    return `${d} days`;
  }

  function ago(unixSeconds, now) {
    const diff = now - unixSeconds;
    return diff < 5 ? "just now" : `${span(diff)} ago`;
  }

  // Whole seconds as counts of units, largest first, leaving out zeros:
  // inUnits(5400, [["h", 3600], ["m", 60]]) -> [[1, "h"], [30, "m"]].
  function inUnits(seconds, units) {
    let s = Math.max(0, Math.floor(seconds));
    const parts = [];
    for (const [unit, size] of units) {
      if (s >= size) {
        parts.push([Math.floor(s / size), unit]);
        s %= size;
      }
    }
    return parts;
  }

  // An interval as the API accepts it: 300 -> "5m", 5400 -> "1h 30m".
  function interval(seconds) {
    const parts = inUnits(seconds, [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]]);
    return parts.length ? parts.map(([n, unit]) => `${n}${unit}`).join(" ") : "0s";
  }

  // A run's duration in milliseconds: "850 ms", "2.4 s", "42 s", "3 min 12 s", "1 h 5 min".
  function runDuration(ms) {
    const v = Math.max(0, Math.round(ms));
    if (v < 1000) return `${v} ms`;
    if (v < 10000) return `${(Math.floor(v / 100) / 10).toFixed(1)} s`;
    const s = Math.floor(v / 1000);
    if (s < 60) return `${s} s`;
    if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
    return span(s);
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  // "every 5 minutes", "every hour", "every 1 hour 30 minutes", "every 2 weeks".
  function every(seconds) {
    const parts = inUnits(seconds, [["week", 604800], ["day", 86400], ["hour", 3600],
                                    ["minute", 60], ["second", 1]]);
    if (parts.length === 0) return "every 0 seconds";
    if (parts.length === 1 && parts[0][0] === 1) return `every ${parts[0][1]}`;
    return `every ${parts.map(([n, word]) => plural(n, word)).join(" ")}`;
  }

  // ------------------------------------------------------------------ cron in words

  const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
                       "September", "October", "November", "December"];
  const DAY_ABBR = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
  const MONTH_ABBR = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

  // One value of a field: a number in [lo, hi] or a name (day of week, month). NaN otherwise.
  function value(text, lo, hi, names, nameBase) {
    let v = NaN;
    if (/^\d{1,2}$/.test(text)) v = Number(text);
    else if (names) {
      const i = names.indexOf(text.toUpperCase());
      if (i >= 0) v = i + nameBase;
    }
    return v >= lo && v <= hi ? v : NaN;
  }

  // A field as a sorted list of values, when it is made of plain values and ranges only
  // (no step, no `*`, no L/W/#): "1-5" -> [1..5], "1,15" -> [1, 15]. null otherwise.
  function values(field, lo, hi, names, nameBase) {
    const out = new Set();
    for (const part of field.split(",")) {
      const range = /^([^-]+)-([^-]+)$/.exec(part);
      const a = value(range ? range[1] : part, lo, hi, names, nameBase);
      const b = range ? value(range[2], lo, hi, names, nameBase) : a;
      if (Number.isNaN(a) || Number.isNaN(b) || b < a) return null;
      for (let v = a; v <= b; v++) out.add(v);
    }
    return [...out].sort((x, y) => x - y);
  }

  // "*/N" or "0-MAX/N" or "0/N": every N units from 0. The step, or null.
  function stepFromZero(field, max) {
    const m = /^(\*|0-(\d+)|0)\/(\d+)$/.exec(field);
    if (!m) return null;
    if (m[2] !== undefined && Number(m[2]) !== max) return null;
    const step = Number(m[3]);
    return step >= 1 && step <= max ? step : null;
  }

  function joinWords(list) {
    if (list.length <= 1) return list.join("");
    return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
  }

  // Consecutive values as runs: [1,2,3,5] -> [[1,3],[5,5]].
  function runs(list) {
    const out = [];
    for (const v of list) {
      const last = out[out.length - 1];
      if (last && last[1] === v - 1) last[1] = v;
      else out.push([v, v]);
    }
    return out;
  }

  function ordinal(n) {
    const tens = n % 100;
    if (tens >= 11 && tens <= 13) return `${n}th`;
    return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th"}`;
  }

  // The days of the week as words: "" (every day), "every Monday", "on Monday to Friday",
  // "on Monday, Wednesday and Friday". null when the field is not a plain list or range.
  function weekdays(field) {
    const list = values(field, 0, 7, DAY_ABBR, 0);
    if (!list) return null;
    // 0 and 7 are both Sunday; Monday-first order reads naturally, so Sunday counts as 7.
    const days = [...new Set(list.map((d) => (d === 0 ? 7 : d)))].sort((a, b) => a - b);
    if (days.length === 7) return "";
    if (days.length === 1) return `every ${DAY_NAMES[days[0] % 7]}`;
    const words = [];
    for (const [a, b] of runs(days)) {
      if (b - a >= 2) words.push(`${DAY_NAMES[a % 7]} to ${DAY_NAMES[b % 7]}`);
      else for (let d = a; d <= b; d++) words.push(DAY_NAMES[d % 7]);
    }
    return `on ${joinWords(words)}`;
  }

  // The day part of the expression: "" (every day), "every Monday", "on the 1st of every
  // month", "on 1 January every year"... null when not a common shape.
  function dayPart(dom, month, dow) {
    if (dom === "*" && month === "*") return weekdays(dow === "*" ? "0-6" : dow);
    if (dow !== "*") return null;
    const months = month === "*" ? null : values(month, 1, 12, MONTH_ABBR, 1);
    if (month !== "*" && (!months || months.length !== 1)) return null;
    if (dom === "L") {
      return months ? `on the last day of ${MONTH_NAMES[months[0] - 1]}` : "on the last day of every month";
    }
    const days = values(dom, 1, 31, null, 0);
    if (!days || days.length !== 1) {
      if (dom === "*" && months) return `every day in ${MONTH_NAMES[months[0] - 1]}`;
      return null;
    }
    if (months) return `on ${days[0]} ${MONTH_NAMES[months[0] - 1]} every year`;
    return `on the ${ordinal(days[0])} of every month`;
  }

  const clock = (h, m) => `${pad(h)}:${pad(m)}`;

  // The time part: { text, repeats } where repeats says the text already means "many times
  // a day" ("every 15 minutes"), so an all-days day part adds nothing. null when uncommon.
  function timePart(minute, hour) {
    const minutes = values(minute, 0, 59, null, 0);
    const hours = values(hour, 0, 23, null, 0);
    if (minutes && hours && minutes.length * hours.length <= 4) {
      const times = [];
      for (const h of hours) for (const m of minutes) times.push(clock(h, m));
      return { text: `at ${joinWords(times)}`, repeats: false };
    }
    const atMinute = (m) => (m === 0 ? "on the hour" : `at minute ${m}`);
    if (minutes && minutes.length === 1) {
      if (hour === "*") return { text: `every hour ${atMinute(minutes[0])}`, repeats: true };
      const step = stepFromZero(hour, 23);
      if (step && 24 % step === 0) {
        return { text: `every ${step} hours ${atMinute(minutes[0])}`, repeats: true };
      }
      const range = /^(\d{1,2})-(\d{1,2})$/.exec(hour);
      if (range && Number(range[1]) < Number(range[2]) && Number(range[2]) <= 23) {
        return { text: `every hour from ${clock(+range[1], minutes[0])} to ` +
                       `${clock(+range[2], minutes[0])}`, repeats: true };
      }
      return null;
    }
    let often = null;
    if (minute === "*") often = "every minute";
    else {
      const step = stepFromZero(minute, 59);
      if (step && 60 % step === 0) often = step === 1 ? "every minute" : `every ${step} minutes`;
    }
    if (!often) return null;
    if (hour === "*") return { text: often, repeats: true };
    const range = /^(\d{1,2})-(\d{1,2})$/.exec(hour);
    if (range && Number(range[1]) <= Number(range[2]) && Number(range[2]) <= 23) {
      return { text: `${often} from ${clock(+range[1], 0)} to ${clock(+range[2], 59)}`, repeats: true };
    }
    if (hours && hours.length === 1) {
      return { text: `${often} from ${clock(hours[0], 0)} to ${clock(hours[0], 59)}`, repeats: true };
    }
    return null;
  }

  // A 5-field cron expression in words ("at 03:00 every day", "every 15 minutes on Monday
  // to Friday"), or null when it is not one of the common shapes: the caller then shows
  // the expression itself.
  function cronWords(expression) {
    if (typeof expression !== "string") return null;
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5) return null;
    const [minute, hour, dom, month, dow] = fields;
    const time = timePart(minute, hour);
    const days = dayPart(dom, month, dow);
    if (!time || days === null) return null;
    if (days === "") return time.repeats ? time.text : `${time.text} every day`;
    return `${time.text} ${days}`;
  }

  // Whether a monitor runs on a cron schedule rather than an interval.
  const scheduled = (m) => typeof m.schedule === "string" && m.schedule !== "";

  // A monitor's schedule or interval as the API takes it: "0 3 * * *", "1h 30m", or "—".
  function setting(m) {
    if (scheduled(m)) return m.schedule;
    return Number.isFinite(m.interval_secs) ? interval(m.interval_secs) : "—";
  }

  // A monitor's settings in one line: "every 5 minutes", "every hour, 10 min grace",
  // "at 03:00 every day, Europe/Riga, 15 min grace", "cron 0 0 1-7 * 1, UTC".
  function expectation(m) {
    const parts = [];
    if (scheduled(m)) {
      parts.push(cronWords(m.schedule) ?? `cron ${m.schedule}`);
      parts.push(typeof m.tz === "string" && m.tz ? m.tz : "UTC");
    } else if (Number.isFinite(m.interval_secs)) {
      parts.push(every(m.interval_secs));
    }
    if (Number.isFinite(m.grace_secs) && m.grace_secs > 0) parts.push(`${span(m.grace_secs)} grace`);
    return parts.join(", ");
  }

  // ------------------------------------------------------------------ alert policies

  // A monitor's repeat (repeat_secs) in words: "every 2 hours", "never" (0), "the server's
  // default" (null or absent).
  function repeatWords(repeatSecs) {
    if (repeatSecs === 0) return "never";
    if (Number.isFinite(repeatSecs) && repeatSecs > 0) return every(repeatSecs);
    return "the server's default";
  }

  // A monitor's down_after in words: "at the first missed deadline or failure", "after 3
  // missed deadlines or failures in a row".
  function downAfterWords(n) {
    if (!Number.isFinite(n) || n <= 1) return "at the first missed deadline or failure";
    return `after ${n} missed deadlines or failures in a row`;
  }

  // A monitor's channels in words: "all of the project's channels" (null or absent), "no
  // channel" ([]), "ops and team-slack".
  function channelsWords(channels) {
    if (!Array.isArray(channels)) return "all of the project's channels";
    if (channels.length === 0) return "no channel";
    return joinWords(channels.map(String));
  }

  // Whether a monitor is snoozed at `now` (Unix seconds).
  const snoozed = (m, now) => Number.isFinite(m.snoozed_until) && m.snoozed_until > now;

  // "snoozed until 2026-12-08 03:00:00 UTC (for 2 h more)".
  function snoozeWords(until, now) {
    return `snoozed until ${utc(until)} (for ${span(until - now)} more)`;
  }

  // ------------------------------------------------------------------ channels

  const CHANNEL_KINDS = {
    telegram: "Telegram",
    webhook: "Webhook",
    slack: "Slack",
    discord: "Discord",
    mattermost: "Mattermost",
    teams: "Microsoft Teams",
    ntfy: "ntfy",
    email: "E-mail",
  };

  const kindName = (kind) => CHANNEL_KINDS[kind] ?? String(kind);

  // What the server shows of a channel's settings, in one line (secrets are never sent
  // whole: a URL comes as its scheme and host, a header's value as "(hidden)"):
  // "POST http://127.0.0.1:8080, headers X-Token", "chat -1001234567890",
  // "to ops@example.com and dev@example.com", "https://hooks.slack.com".
  function channelSettings(ch) {
    const parts = [];
    const str = (v) => typeof v === "string" && v !== "";
    if (ch.kind === "telegram") {
      if (str(ch.chat_id)) parts.push(`chat ${ch.chat_id}`);
    } else if (ch.kind === "email") {
      const to = Array.isArray(ch.to) ? ch.to.filter(str) : [];
      if (to.length) parts.push(`to ${joinWords(to)}`);
    } else {
      const url = str(ch.url) ? ch.url : "";
      const method = ch.kind === "webhook" && str(ch.method) ? ch.method : "";
      if (url || method) parts.push([method, url].filter(Boolean).join(" "));
      const headers = ch.headers && typeof ch.headers === "object" ? Object.keys(ch.headers) : [];
      if (headers.length) parts.push(`${headers.length === 1 ? "header" : "headers"} ${headers.join(", ")}`);
      if (ch.kind === "webhook" && str(ch.body)) parts.push("a body template");
    }
    if (ch.source === "environment") parts.push("from the server's environment");
    return parts.join(", ");
  }

  // A channel's name as the API takes it: 1 to 64 of a-z, 0-9 and -.
  const channelName = (name) => typeof name === "string" && /^[a-z0-9-]{1,64}$/.test(name);

  // A webhook's headers typed one per line, "Name: value", as an object; a line without a
  // colon is an error: { headers } or { error }.
  function parseHeaders(text) {
    const headers = {};
    const lines = String(text).split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === "") continue;
      const colon = line.indexOf(":");
      const name = colon > 0 ? line.slice(0, colon).trim() : "";
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
        return { error: `Header line ${i + 1} is not "Name: value".` };
      }
      headers[name] = line.slice(colon + 1).trim();
    }
    return { headers };
  }

  // E-mail recipients typed with commas, semicolons, spaces or new lines between them.
  function parseRecipients(text) {
    return String(text).split(/[\s,;]+/).filter((a) => a !== "");
  }

  globalThis.HeartbeatWords = {
    pad, utc, span, ago, interval, runDuration, every, cronWords, scheduled, setting, expectation,
    repeatWords, downAfterWords, channelsWords, snoozed, snoozeWords, CHANNEL_KINDS, kindName,
    channelSettings, channelName, parseHeaders, parseRecipients,
  };
})();
