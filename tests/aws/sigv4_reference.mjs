// The reference signer of the differential test (aws_auth_test): signs each request read
// from stdin with the official JavaScript signer, @smithy/signature-v4 (default options:
// uriEscapePath true), and prints the headers it added.
//
// stdin: a JSON array of
//   {method, url, headers: [[name, value], ...], body_base64, access_key_id,
//    secret_access_key, session_token, region, service, now_ms}
// stdout: a JSON array, in the same order, of
//   {authorization, x_amz_date, x_amz_security_token}   (the last one null when none)
//
// The npm packages come from tests/tools/node_modules (scripts/install-deps.sh).

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(new URL("../tools/package.json", import.meta.url));
let SignatureV4, Sha256, HttpRequest;
try {
  ({ SignatureV4 } = require("@smithy/signature-v4"));
  ({ Sha256 } = require("@aws-crypto/sha256-js"));
  ({ HttpRequest } = require("@smithy/protocol-http"));
} catch (e) {
  process.stderr.write(
    `sigv4_reference: the npm packages are missing (${e.message}); run scripts/install-deps.sh\n`);
  process.exit(2);
}

// The URL as it goes on the wire, split without any normalization (new URL() would resolve
// dot segments and re-encode the path, which is exactly what is under test).
function split(url) {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (!m) throw new Error(`not an absolute URL: ${url}`);
  return { path: m[3] === "" ? "/" : m[3], rawQuery: m[4] ?? "" };
}

// smithy takes the query as decoded key -> value (or list of values). '+' stays a plus; a key
// without '=' has the empty value (smithy would drop a null one, AWS signs "key=").
function parseQuery(raw) {
  const query = {};
  for (const piece of raw.split("&")) {
    if (piece === "") continue;
    const eq = piece.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? piece : piece.slice(0, eq));
    const value = eq < 0 ? "" : decodeURIComponent(piece.slice(eq + 1));
    if (Object.prototype.hasOwnProperty.call(query, key)) {
      query[key] = [].concat(query[key], value);
    } else {
      query[key] = value;
    }
  }
  return query;
}

// smithy's headers are a map, so repeated headers are joined here the way AWS says: each
// value trimmed (with smithy's own rule), then joined with commas in order. The first
// spelling of a name is kept, so that smithy lower-cases mixed-case names itself.
function joinHeaders(list) {
  const canon = (v) => v.replace(/[\r\n]/g, " ").replace(/[ \t]+/g, " ").replace(/^ | $/g, "");
  const byLower = new Map();
  for (const [name, value] of list) {
    const lower = name.toLowerCase();
    const seen = byLower.get(lower);
    if (seen) {
      seen.value += "," + canon(value);
    } else {
      byLower.set(lower, { name, value: canon(value) });
    }
  }
  const headers = {};
  for (const { name, value } of byLower.values()) headers[name] = value;
  return headers;
}

async function sign(r) {
  const { path, rawQuery } = split(r.url);
  const headers = joinHeaders(r.headers);
  if (!Object.keys(headers).some((n) => n.toLowerCase() === "host")) {
    // What the HTTP client sends: WHATWG's host drops a default port.
    headers.host = new URL(r.url).host;
  }
  const request = new HttpRequest({
    method: r.method,
    protocol: new URL(r.url).protocol,
    hostname: new URL(r.url).hostname,
    path,
    query: parseQuery(rawQuery),
    headers,
    body: new Uint8Array(Buffer.from(r.body_base64, "base64")),
  });
  const credentials = {
    accessKeyId: r.access_key_id,
    secretAccessKey: r.secret_access_key,
    ...(r.session_token ? { sessionToken: r.session_token } : {}),
  };
  const signer = new SignatureV4({
    credentials,
    region: r.region,
    service: r.service,
    sha256: Sha256,
    applyChecksum: false,  // no x-amz-content-sha256: heartbeat does not add it
  });
  const signed = await signer.sign(request, { signingDate: new Date(r.now_ms) });
  return {
    authorization: signed.headers["authorization"],
    x_amz_date: signed.headers["x-amz-date"],
    x_amz_security_token: signed.headers["x-amz-security-token"] ?? null,
  };
}

const requests = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const r of requests) out.push(await sign(r));
process.stdout.write(JSON.stringify(out) + "\n");
