// terraform/ read as data: every .tf file parses, the resources have the settings SPEC §6 and
// §7 ask for, and the IAM grants match the AWS calls the code makes, no more, no less.
//
//   node tests/deploy/terraform.test.mjs
//
// Terraform itself cannot plan here (no provider can be downloaded), so the files are parsed
// with @cdktf/hcl2json (tests/tools; `npm ci` there, or scripts/install-deps.sh).
//
// The calls come from the sources: DynamoDB operations from src/store/dynamo/*.{cc,h}
// (`client_.GetItem(`, `->Query(`, `&DynamoClient::UpdateItem`; QueryAll and ScanAll are
// Query and Scan), SSM operations from src/aws/ssm.cc (`AmazonSSM.GetParameter` or the
// operation's name as a string). No call found is a failure: the DynamoDB store is not there
// yet, or its calls no longer look like that and this test needs teaching.
//
// Environment: HEARTBEAT_SOURCE_DIR (default: this checkout) is where src/ is looked for, so
// that the test can be tried on a fixture; TERRAFORM_DIR (default: <checkout>/terraform).
// When `terraform` is on PATH, `terraform fmt -check` runs too, and `terraform validate` and
// `terraform test` (terraform/tests/*.tftest.hcl: the optional secrets planned with a mock
// provider) in a copy of terraform/ when the hashicorp/aws provider can be installed (from
// the registry, or from TERRAFORM_PLUGIN_DIR, a directory of providers as `terraform
// providers mirror` writes it); without them (terraform is not in Debian's archive), those
// steps are reported SKIPPED.
//
// The ping history table (SPEC §12) is granted, to each principal, the operations its code
// calls on it (PINGS_TABLE_OPS below), in statements of its own.
//
// Exit code 0 when no step failed (a skipped one is reported SKIPPED, with its reason), 1
// otherwise; the last line is "N passed, N failed, N skipped".

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { AssertionError, assert, finish, skip, step } from "./harness.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SOURCE_DIR = process.env.HEARTBEAT_SOURCE_DIR || ROOT;
const TERRAFORM_DIR = process.env.TERRAFORM_DIR || join(ROOT, "terraform");

function equal(actual, expected, message) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new AssertionError(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const sorted = (set) => [...set].sort();

// ------------------------------------------------------------------ parsing terraform/

let hcl;
let tf = null; // the merged configuration: { resource, data, variable, locals, output, terraform }

await step("terraform/: every .tf file parses", async () => {
  try {
    hcl = createRequire(join(ROOT, "tests", "tools", "package.json"))("@cdktf/hcl2json");
  } catch (err) {
    throw new AssertionError(`@cdktf/hcl2json is missing: run \`npm ci\` in tests/tools (${err.message})`);
  }
  assert(existsSync(TERRAFORM_DIR), `${TERRAFORM_DIR} does not exist`);
  const files = readdirSync(TERRAFORM_DIR).filter((f) => f.endsWith(".tf")).sort();
  assert(files.length > 0, `no .tf file in ${TERRAFORM_DIR}`);
  tf = { resource: {}, data: {}, variable: {}, locals: {}, output: {}, terraform: [] };
  for (const file of files) {
    let parsed;
    try {
      parsed = await hcl.parse(file, readFileSync(join(TERRAFORM_DIR, file), "utf8"));
    } catch (err) {
      throw new AssertionError(`${file} does not parse: ${err.message || err}`);
    }
    for (const [kind, value] of Object.entries(parsed)) {
      if (kind === "terraform") tf.terraform.push(...value);
      else if (kind === "locals") for (const block of value) Object.assign(tf.locals, block);
      else if (kind === "variable" || kind === "output") {
        for (const [name, blocks] of Object.entries(value)) {
          assert(!(name in tf[kind]), `${kind} "${name}" is declared twice`);
          tf[kind][name] = blocks[0];
        }
      } else if (kind === "resource" || kind === "data") {
        for (const [type, byName] of Object.entries(value)) {
          tf[kind][type] ??= {};
          for (const [name, blocks] of Object.entries(byName)) {
            assert(!(name in tf[kind][type]), `${kind} ${type}.${name} is declared twice`);
            tf[kind][type][name] = blocks[0];
          }
        }
      } else {
        tf[kind] = value;
      }
    }
  }
  return files.join(" ");
});

if (!tf) finish();

function resource(type, name) {
  const r = tf.resource[type]?.[name];
  assert(r, `resource ${type}.${name} is missing`);
  return r;
}

function resourcesOf(type) {
  return Object.entries(tf.resource[type] || {});
}

function variableDefault(name) {
  const v = tf.variable[name];
  assert(v, `variable "${name}" is missing`);
  return v.default;
}

// The value of a string with simple ${var.x} / ${local.x} interpolations, variables at their
// defaults; anything else is left as it is.
function resolve(value, depth = 0) {
  if (typeof value !== "string" || depth > 10) return value;
  const whole = value.match(/^\$\{(var|local)\.([A-Za-z0-9_]+)\}$/);
  if (whole) {
    const v = whole[1] === "var" ? tf.variable[whole[2]]?.default : tf.locals[whole[2]];
    return v === undefined ? value : resolve(v, depth + 1);
  }
  return value.replace(/\$\{(var|local)\.([A-Za-z0-9_]+)\}/g, (m, kind, name) => {
    const v = kind === "var" ? tf.variable[name]?.default : tf.locals[name];
    return typeof v === "string" || typeof v === "number" ? String(resolve(v, depth + 1)) : m;
  });
}

// "${aws_iam_role.checker.arn}" -> ["aws_iam_role", "checker"]
function reference(value, type) {
  const m = typeof value === "string" && value.match(/^\$\{(?:data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}$/);
  if (!m) return null;
  if (type && m[1] !== type) return null;
  return [m[1], m[2]];
}

// ------------------------------------------------------------------ settings

await step("backend: an empty s3 backend (configured by -backend-config), hashicorp/aws, Terraform 1.10 for use_lockfile", () => {
  const backends = tf.terraform.flatMap((t) => Object.entries(t.backend || {}));
  equal(backends.map(([k]) => k), ["s3"], "backends");
  equal(backends[0][1], [{}], "the s3 backend block (settings belong in backend.hcl)");
  const providers = tf.terraform.flatMap((t) => t.required_providers || []);
  equal(providers.map((p) => p.aws?.source), ["hashicorp/aws"], "required_providers.aws.source");
  assert(existsSync(join(TERRAFORM_DIR, "backend.hcl.example")), "terraform/backend.hcl.example is missing");
  const example = readFileSync(join(TERRAFORM_DIR, "backend.hcl.example"), "utf8");
  for (const key of ["bucket", "key", "region"]) {
    assert(new RegExp(`^${key}\\s*=`, "m").test(example), `backend.hcl.example does not set ${key}`);
  }
  // use_lockfile (S3's own state lock) came with Terraform 1.10: the required version must
  // say so, or an older Terraform fails at init on a setting it does not know.
  const required = tf.terraform.map((t) => t.required_version).find((v) => v);
  assert(required, "terraform { required_version } is missing");
  if (/^use_lockfile\s*=\s*true/m.test(example)) {
    const m = String(required).match(/>=\s*(\d+)\.(\d+)/);
    assert(m && (Number(m[1]) > 1 || Number(m[2]) >= 10),
           `backend.hcl.example sets use_lockfile, which needs Terraform 1.10, but required_version is "${required}"`);
  }
});

await step("variables: region, alert e-mail, schedule, zip, partitions, repeat, retention", () => {
  assert(tf.variable.aws_region, 'variable "aws_region" is missing');
  assert(tf.variable.alert_email, 'variable "alert_email" is missing');
  assert(!("default" in tf.variable.alert_email), "alert_email must have no default");
  equal(variableDefault("schedule_expression"), "rate(1 minute)", "schedule_expression default");
  equal(variableDefault("lambda_zip_path"), "../build/lambda/arm64/bootstrap.zip", "lambda_zip_path default");
  equal(variableDefault("check_partitions"), 1, "check_partitions default");
  equal(variableDefault("alert_repeat_interval"), "1h", "alert_repeat_interval default");
  equal(variableDefault("log_retention_days"), 14, "log_retention_days default");
});

// The Rust version's documented `terraform apply -var telegram_bot_token=… -var
// telegram_chat_id=…` works, and so does a plain `terraform apply`: each secret is optional,
// and sensitive (never shown in a plan).
await step("variables: the optional secrets (Telegram's, SMTP_URL) are sensitive and default to none; SMTP_TLS, SMTP_FROM", () => {
  for (const name of ["telegram_bot_token", "telegram_chat_id", "smtp_url"]) {
    const v = tf.variable[name];
    assert(v, `variable "${name}" is missing`);
    equal(v.sensitive, true, `${name} is sensitive`);
    assert("default" in v && v.default === null, `${name} must default to null (optional), not ${JSON.stringify(v.default)}`);
  }
  equal(variableDefault("smtp_tls"), "starttls", "smtp_tls default (SPEC §14: refuse to send without it)");
  equal(variableDefault("smtp_from"), "", "smtp_from default (no e-mail)");
  assert(String(tf.locals.email_enabled).includes("var.smtp_from"), "e-mail is not on by smtp_from");
});

await step("DynamoDB: heartbeat-monitors (slug, overdue-check-index, uuid-index, TTL on expires_at, on demand)", () => {
  const t = resource("aws_dynamodb_table", "monitors");
  equal(resolve(t.name), "heartbeat-monitors", "name with the default prefix");
  equal(t.billing_mode, "PAY_PER_REQUEST", "billing_mode");
  equal(t.hash_key, "slug", "hash_key");
  assert(!t.range_key, "the monitors table has no range key");
  const types = (t.attribute || []).map((a) => `${a.name}:${a.type}`).sort();
  equal(types, ["check_partition:S", "next_due:N", "slug:S", "uuid:S"],
        "attribute definitions (the key attributes only)");
  equal(t.global_secondary_index?.length, 2, "two GSIs");
  const gsi = t.global_secondary_index[0];
  equal([gsi.name, gsi.hash_key, gsi.range_key, gsi.projection_type],
        ["overdue-check-index", "check_partition", "next_due", "ALL"], "the GSI's name, keys and projection");
  const byUuid = t.global_secondary_index[1];
  equal([byUuid.name, byUuid.hash_key, byUuid.range_key, byUuid.projection_type],
        ["uuid-index", "uuid", undefined, "KEYS_ONLY"], "uuid-index: name, keys and projection");
  equal(t.ttl?.[0]?.attribute_name, "expires_at", "ttl.attribute_name");
  equal(t.ttl?.[0]?.enabled, true, "ttl.enabled");
  assert(t.point_in_time_recovery?.[0]?.enabled !== undefined, "point_in_time_recovery is not set");
});

await step("DynamoDB: heartbeat-api-keys (key_hash, on demand)", () => {
  const t = resource("aws_dynamodb_table", "api_keys");
  equal(resolve(t.name), "heartbeat-api-keys", "name with the default prefix");
  equal(t.billing_mode, "PAY_PER_REQUEST", "billing_mode");
  equal(t.hash_key, "key_hash", "hash_key");
  equal((t.attribute || []).map((a) => [a.name, a.type]), [["key_hash", "S"]], "attribute definitions");
  assert(!t.global_secondary_index, "the keys table has no index");
});

await step("DynamoDB: heartbeat-pings (slug + sk, TTL on expires_at, on demand, as protected as the others)", () => {
  const t = resource("aws_dynamodb_table", "pings");
  equal(resolve(t.name), "heartbeat-pings", "name with the default prefix");
  equal(t.billing_mode, "PAY_PER_REQUEST", "billing_mode");
  equal([t.hash_key, t.range_key], ["slug", "sk"], "hash_key and range_key");
  const types = (t.attribute || []).map((a) => `${a.name}:${a.type}`).sort();
  equal(types, ["sk:S", "slug:S"], "attribute definitions (the key attributes only)");
  assert(!t.global_secondary_index && !t.local_secondary_index, "the pings table has no index");
  equal(t.ttl?.[0]?.attribute_name, "expires_at", "ttl.attribute_name");
  equal(t.ttl?.[0]?.enabled, true, "ttl.enabled");
  const monitors = resource("aws_dynamodb_table", "monitors");
  equal(t.point_in_time_recovery, monitors.point_in_time_recovery, "point_in_time_recovery (the monitors table's)");
  equal(t.deletion_protection_enabled, monitors.deletion_protection_enabled,
        "deletion_protection_enabled (the monitors table's)");
  equal(t.server_side_encryption, monitors.server_side_encryption, "server_side_encryption (the monitors table's)");
});

let lambda;
await step("Lambda: provided.al2023, arm64, 128 MB, reserved concurrency 1, timeout below the schedule", () => {
  lambda = resource("aws_lambda_function", "checker");
  equal(lambda.runtime, "provided.al2023", "runtime");
  equal(lambda.handler, "bootstrap", "handler");
  equal(lambda.architectures?.map(resolve), ["arm64"], "architectures (default)");
  equal(lambda.memory_size, 128, "memory_size");
  equal(lambda.reserved_concurrent_executions, 1, "reserved_concurrent_executions");
  equal(lambda.filename, "${var.lambda_zip_path}", "filename");
  equal(lambda.source_code_hash, "${filebase64sha256(var.lambda_zip_path)}", "source_code_hash");
  const timeout = resolve(lambda.timeout);
  const m = variableDefault("schedule_expression").match(/^rate\((\d+) (minute|hour|day)s?\)$/);
  const period = Number(m[1]) * { minute: 60, hour: 3600, day: 86400 }[m[2]];
  assert(typeof timeout === "number" && timeout < period,
         `timeout ${JSON.stringify(timeout)} is not below the default schedule's ${period} s`);
  assert(JSON.stringify(lambda.lifecycle || []).includes("schedule_period_seconds"),
         "no precondition keeps the timeout below a changed schedule");
  equal(resolve(resource("aws_cloudwatch_log_group", "checker").name), "/aws/lambda/heartbeat-checker",
        "the log group is the function's");
  equal(resolve(resource("aws_cloudwatch_log_group", "checker").retention_in_days), 14, "log retention");
});

// tests/lambda/bootstrap_test.cc (Env()) starts bootstrap with these variables.
await step("Lambda: its environment (DynamoDB, tables, SSM parameter names, repeat, JSON logs, partitions)", () => {
  const env = lambda.environment?.[0]?.variables || {};
  equal(Object.keys(env).sort(), [
    "ALERT_REPEAT_INTERVAL", "CHECK_PARTITIONS", "HEARTBEAT_API_KEYS_TABLE_NAME", "HEARTBEAT_STORE",
    "HEARTBEAT_TABLE_NAME", "LOG_FORMAT", "PINGS_TABLE", "SMTP_FROM", "SMTP_TLS", "SMTP_URL_PARAM",
    "TELEGRAM_BOT_TOKEN_PARAM", "TELEGRAM_CHAT_ID_PARAM"],
        "variables");
  equal(env.HEARTBEAT_STORE, "dynamodb", "HEARTBEAT_STORE");
  equal(env.HEARTBEAT_TABLE_NAME, "${aws_dynamodb_table.monitors.name}", "HEARTBEAT_TABLE_NAME");
  equal(env.HEARTBEAT_API_KEYS_TABLE_NAME, "${aws_dynamodb_table.api_keys.name}", "HEARTBEAT_API_KEYS_TABLE_NAME");
  equal(env.PINGS_TABLE, "${aws_dynamodb_table.pings.name}", "PINGS_TABLE");
  equal(env.TELEGRAM_BOT_TOKEN_PARAM, "${aws_ssm_parameter.telegram_bot_token.name}", "TELEGRAM_BOT_TOKEN_PARAM");
  equal(env.TELEGRAM_CHAT_ID_PARAM, "${aws_ssm_parameter.telegram_chat_id.name}", "TELEGRAM_CHAT_ID_PARAM");
  equal(env.LOG_FORMAT, "json", "LOG_FORMAT");
  assert(String(env.CHECK_PARTITIONS).includes("var.check_partitions"), "CHECK_PARTITIONS is not var.check_partitions");
  assert(String(env.ALERT_REPEAT_INTERVAL).includes("var.alert_repeat_interval"),
         "ALERT_REPEAT_INTERVAL is not var.alert_repeat_interval");
  // E-mail: the URL (its password) by its SSM parameter's name, never its value.
  assert(String(env.SMTP_URL_PARAM).includes("aws_ssm_parameter.smtp_url[0].name"),
         `SMTP_URL_PARAM is not the smtp-url parameter's name: ${env.SMTP_URL_PARAM}`);
  equal(env.SMTP_TLS, "${var.smtp_tls}", "SMTP_TLS");
  equal(env.SMTP_FROM, "${var.smtp_from}", "SMTP_FROM");
  for (const [name, value] of Object.entries(env)) {
    assert(!/var\.(telegram_bot_token|telegram_chat_id|smtp_url)\b/.test(String(value)),
           `the Lambda's ${name} carries a secret variable: ${value}`);
  }
});

await step("EventBridge: a rule on var.schedule_expression, targeting the Lambda, allowed to invoke it", () => {
  const rules = resourcesOf("aws_cloudwatch_event_rule");
  equal(rules.length, 1, "one rule");
  const [ruleName, rule] = rules[0];
  equal(rule.schedule_expression, "${var.schedule_expression}", "schedule_expression");
  const targets = resourcesOf("aws_cloudwatch_event_target").map(([, t]) => t);
  assert(targets.some((t) => t.rule === `\${aws_cloudwatch_event_rule.${ruleName}.name}` &&
                             t.arn === "${aws_lambda_function.checker.arn}"), "no target runs the Lambda from the rule");
  const permissions = resourcesOf("aws_lambda_permission").map(([, p]) => p);
  assert(permissions.some((p) => p.principal === "events.amazonaws.com" && p.action === "lambda:InvokeFunction" &&
                                 p.source_arn === `\${aws_cloudwatch_event_rule.${ruleName}.arn}` &&
                                 String(p.function_name).includes("aws_lambda_function.checker")),
         "no lambda permission lets this rule (and only it) invoke the function");
});

// Each parameter holds its variable when one is given at creation, else the placeholder,
// and Terraform never overwrites its value after that (the AWS CLI sets it).
await step("SSM: the bot token, the chat id and SMTP_URL are SecureString parameters: the variable's value or the placeholder, never overwritten", () => {
  for (const name of ["telegram_bot_token", "telegram_chat_id", "smtp_url"]) {
    const p = resource("aws_ssm_parameter", name);
    equal(p.type, "SecureString", `aws_ssm_parameter.${name}.type`);
    equal(p.value, `\${coalesce(var.${name}, "unset")}`, `aws_ssm_parameter.${name}.value`);
    equal(p.lifecycle?.[0]?.ignore_changes, ["${value}"], `aws_ssm_parameter.${name}'s lifecycle.ignore_changes`);
  }
  equal(resource("aws_ssm_parameter", "smtp_url").count, "${local.email_enabled ? 1 : 0}",
        "the smtp-url parameter exists only when e-mail is on");
  equal(resolve(tf.locals.smtp_url_parameter), "/heartbeat/smtp-url", "the smtp-url parameter's name");
  const preconditions = JSON.stringify(lambda?.lifecycle || []);
  assert(preconditions.includes("var.smtp_url") && preconditions.includes("local.email_enabled"),
         "no precondition refuses smtp_url without smtp_from");
});

await step("alarms: Lambda Errors -> SNS topic -> e-mail to var.alert_email", () => {
  const alarms = resourcesOf("aws_cloudwatch_metric_alarm").map(([, a]) => a);
  const errors = alarms.find((a) => a.namespace === "AWS/Lambda" && a.metric_name === "Errors");
  assert(errors, "no alarm on AWS/Lambda Errors");
  equal(errors.dimensions?.FunctionName, "${aws_lambda_function.checker.function_name}", "the alarm's function");
  const topic = reference(errors.alarm_actions?.[0], "aws_sns_topic");
  assert(topic, `the Errors alarm's action is not an SNS topic: ${JSON.stringify(errors.alarm_actions)}`);
  const subscriptions = resourcesOf("aws_sns_topic_subscription").map(([, s]) => s);
  assert(subscriptions.some((s) => s.topic_arn === `\${aws_sns_topic.${topic[1]}.arn}` && s.protocol === "email" &&
                                   s.endpoint === "${var.alert_email}"), "no e-mail subscription to the alarm's topic");
});

await step("outputs: table names, function, API user and policy, alarm topic", () => {
  for (const name of ["monitors_table_name", "api_keys_table_name", "pings_table_name", "checker_function_name", "api_user_name",
                      "api_policy_arn", "alarm_topic_arn"]) {
    assert(tf.output[name], `output "${name}" is missing`);
  }
});

await step("terraform fmt -check (when terraform is installed)", () => {
  const probe = spawnSync("terraform", ["version"], { encoding: "utf8" });
  if (probe.error) skip("terraform is not on PATH");
  const r = spawnSync("terraform", ["fmt", "-check", "-diff", "-recursive", TERRAFORM_DIR], { encoding: "utf8" });
  assert(r.status === 0, `terraform fmt would change:\n${r.stdout}${r.stderr}`);
});

// terraform init in a copy of terraform/ (no .terraform or lock file left in the checkout),
// without the S3 backend. Null when the provider cannot be installed here.
let terraformCopy = null;
function terraformInit() {
  if (terraformCopy !== null) return terraformCopy || null;
  terraformCopy = "";
  const probe = spawnSync("terraform", ["version"], { encoding: "utf8" });
  if (probe.error) return null;
  const dir = mkdtempSync(join(tmpdir(), "heartbeat-terraform-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  cpSync(TERRAFORM_DIR, dir, { recursive: true, filter: (src) => !/[/\\]\.terraform([/\\]|$)/.test(src) });
  rmSync(join(dir, ".terraform.lock.hcl"), { force: true });
  const args = ["init", "-backend=false", "-input=false", "-no-color"];
  if (process.env.TERRAFORM_PLUGIN_DIR) args.push(`-plugin-dir=${process.env.TERRAFORM_PLUGIN_DIR}`);
  const r = spawnSync("terraform", args, { cwd: dir, encoding: "utf8", timeout: 120000 });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) {
    // No network and no local copy of the provider: not this configuration's fault.
    if (/Failed to query available provider packages|Failed to install provider|could not connect to registry|no available releases match|provider registry\.terraform\.io\/hashicorp\/aws was not found/i.test(out)) {
      terraformCopy = "";
      terraformInit.reason = "the hashicorp/aws provider cannot be installed here (no network; set TERRAFORM_PLUGIN_DIR to a provider mirror)";
      return null;
    }
    terraformInit.reason = "terraform init failed (see the step above)";
    throw new AssertionError(`terraform init failed:\n${out}`);
  }
  terraformCopy = dir;
  return dir;
}

await step("terraform validate (when terraform and the aws provider are installed)", () => {
  if (spawnSync("terraform", ["version"], { encoding: "utf8" }).error) skip("terraform is not on PATH");
  const dir = terraformInit();
  if (!dir) skip(terraformInit.reason);
  const r = spawnSync("terraform", ["validate", "-no-color"], { cwd: dir, encoding: "utf8" });
  assert(r.status === 0, `terraform validate:\n${r.stdout}${r.stderr}`);
});

await step("terraform test: the optional secrets planned with a mock provider (terraform/tests/)", () => {
  if (spawnSync("terraform", ["version"], { encoding: "utf8" }).error) skip("terraform is not on PATH");
  assert(existsSync(join(TERRAFORM_DIR, "tests", "variables.tftest.hcl")), "terraform/tests/variables.tftest.hcl is missing");
  const dir = terraformInit();
  if (!dir) skip(terraformInit.reason);
  const r = spawnSync("terraform", ["test", "-no-color"], { cwd: dir, encoding: "utf8", timeout: 300000 });
  const out = `${r.stdout}${r.stderr}`;
  assert(r.status === 0, `terraform test:\n${out}`);
  return (out.match(/^(Success|Failure)!.*$/m) || [""])[0];
});

// ------------------------------------------------------------------ the calls in the code

// The code without its comments (string literals kept: SSM operation names may be strings).
function stripComments(text) {
  let out = "";
  for (let i = 0; i < text.length;) {
    const c = text[i];
    const raw = c === "R" && text[i + 1] === '"' && text.slice(i + 2).match(/^([^()\\\s]{0,16})\(/);
    if (raw) {
      const close = `)${raw[1]}"`;
      const end = text.indexOf(close, i + 2 + raw[0].length);
      const stop = end < 0 ? text.length : end + close.length;
      out += text.slice(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const DYNAMO_OPS = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "QueryAll", "ScanAll", "Query", "Scan",
                    "BatchWriteItem", "CreateTable", "DescribeTable", "UpdateTimeToLive", "CreateIndex"];
const IAM_NAME = { QueryAll: "Query", ScanAll: "Scan", CreateIndex: "UpdateTable" };
const INIT_ONLY = new Set(["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTimeToLive",
                           "dynamodb:UpdateTable"]);
const SSM_OPS = ["GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory", "PutParameter",
                 "DeleteParameter", "DeleteParameters", "DescribeParameters"];

function dynamoCalls(text) {
  const code = stripComments(text);
  const ops = new Set();
  const alternatives = DYNAMO_OPS.join("|");
  const patterns = [
    new RegExp(`(?:\\.|->)\\s*(${alternatives})\\s*\\(`, "g"),      // client_.GetItem(  client->Query(
    new RegExp(`DynamoClient\\s*::\\s*(${alternatives})\\b`, "g"),  // &aws::DynamoClient::UpdateItem
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) ops.add(`dynamodb:${IAM_NAME[m[1]] || m[1]}`);
  return ops;
}

function ssmCalls(text) {
  const code = stripComments(text);
  const ops = new Set();
  for (const m of code.matchAll(/AmazonSSM\.([A-Za-z]+)/g)) ops.add(`ssm:${m[1]}`);
  for (const m of code.matchAll(/"([A-Za-z]+)"/g)) if (SSM_OPS.includes(m[1])) ops.add(`ssm:${m[1]}`);
  return ops;
}

let dynamoCalled = null; // Set of "dynamodb:X"
let ssmCalled = null;    // Set of "ssm:X"

await step("the code: DynamoDB operations called by src/store/dynamo/", () => {
  const dir = join(SOURCE_DIR, "src", "store", "dynamo");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(cc|h)$/.test(f)).sort() : [];
  assert(files.length > 0,
         `no source in ${relative(process.cwd(), dir) || dir}: the DynamoDB store is not merged yet, so the IAM grants ` +
         "in terraform/ cannot be checked against its calls");
  const all = new Set();
  const lines = [];
  for (const f of files) {
    const ops = dynamoCalls(readFileSync(join(dir, f), "utf8"));
    ops.forEach((op) => all.add(op));
    if (ops.size) lines.push(`${f}: ${sorted(ops).join(" ")}`);
  }
  assert(all.size > 0,
         `no DynamoDB call found in src/store/dynamo/{${files.join(",")}}: expected calls such as ` +
         "client_.GetItem( or client_.QueryAll(; if the code calls the client differently now, teach dynamoCalls()");
  dynamoCalled = all;
  return lines.join("\n");
});

await step("the code: SSM operations called by src/aws/ssm.cc", () => {
  const file = join(SOURCE_DIR, "src", "aws", "ssm.cc");
  assert(existsSync(file), "src/aws/ssm.cc does not exist: the SSM client is not merged yet");
  const ops = ssmCalls(readFileSync(file, "utf8"));
  assert(ops.size > 0, 'no SSM operation found in src/aws/ssm.cc (expected "AmazonSSM.GetParameter" or "GetParameter")');
  ssmCalled = ops;
  return sorted(ops).join(" ");
});

// The ping history table, read off src/store/dynamo/dynamo_history.cc: a signal's entry and
// the pruning of the oldest, a status change, a deleted monitor's history (BatchWriteItem),
// the history and a monitor's deletion (Query), a ping's body (GetItem). A checker pass
// writes flips and removes expired monitors' history: BatchWriteItem and Query only.
const PINGS_TABLE_OPS = {
  "the API user": ["dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:Query"],
  "the Lambda": ["dynamodb:BatchWriteItem", "dynamodb:Query"],
};
const PINGS_ARN = "${aws_dynamodb_table.pings.arn}";

// ------------------------------------------------------------------ the grants

// Policy documents by name, as statements { actions:Set, resources:[...], effect }.
function policyDocument(ref, where) {
  const r = reference(ref, "aws_iam_policy_document");
  assert(r, `${where}: the policy is not a data.aws_iam_policy_document (${JSON.stringify(ref)}); ` +
            "write it as one so that this test can read it");
  const doc = tf.data.aws_iam_policy_document?.[r[1]];
  assert(doc, `${where}: data.aws_iam_policy_document.${r[1]} is missing`);
  return (doc.statement || []).map((s, i) => {
    assert(!s.not_actions && !s.not_resources, `${where}: statement ${s.sid || i} uses not_actions/not_resources`);
    return { sid: s.sid || String(i), effect: s.effect || "Allow", actions: new Set(s.actions || []), resources: s.resources || [] };
  });
}

// Every Allow statement granted to a principal (an aws_iam_role or aws_iam_user by name).
function grantsOf(kind, name) {
  const self = `\${${kind}.${name}.${kind === "aws_iam_role" ? "id" : "name"}}`;
  const selfAlt = `\${${kind}.${name}.name}`;
  const mine = (v) => v === self || v === selfAlt;
  const statements = [];
  const inlineType = kind === "aws_iam_role" ? "aws_iam_role_policy" : "aws_iam_user_policy";
  const attachType = kind === "aws_iam_role" ? "aws_iam_role_policy_attachment" : "aws_iam_user_policy_attachment";
  const field = kind === "aws_iam_role" ? "role" : "user";
  for (const [n, p] of resourcesOf(inlineType)) {
    if (mine(p[field])) statements.push(...policyDocument(p.policy, `${inlineType}.${n}`));
  }
  for (const [n, a] of resourcesOf(attachType)) {
    if (!mine(a[field])) continue;
    const policy = reference(a.policy_arn, "aws_iam_policy");
    assert(policy, `${attachType}.${n} attaches ${a.policy_arn}, which this test cannot read (and which is not least privilege)`);
    statements.push(...policyDocument(resource("aws_iam_policy", policy[1]).policy, `aws_iam_policy.${policy[1]}`));
  }
  return statements.filter((s) => s.effect === "Allow");
}

const actionsOf = (statements, prefix) =>
  new Set(statements.flatMap((s) => [...s.actions]).filter((a) => !prefix || a.startsWith(prefix)));

let checkerGrants = null;
let apiGrants = null;

await step("IAM: the principals (the Lambda's role; the API replicas' user)", () => {
  const role = reference(lambda?.role, "aws_iam_role");
  assert(role, `the Lambda's role is not an aws_iam_role of this configuration: ${lambda?.role}`);
  const trust = reference(resource("aws_iam_role", role[1]).assume_role_policy, "aws_iam_policy_document");
  const trustDoc = trust && tf.data.aws_iam_policy_document?.[trust[1]];
  assert(trustDoc && JSON.stringify(trustDoc.statement?.map((s) => s.principals)) === JSON.stringify(
           [[{ identifiers: ["lambda.amazonaws.com"], type: "Service" }]]),
         "the Lambda's role is not assumable by lambda.amazonaws.com alone");
  checkerGrants = grantsOf("aws_iam_role", role[1]);
  const users = resourcesOf("aws_iam_user");
  equal(users.length, 1, "IAM users (the API replicas')");
  apiGrants = grantsOf("aws_iam_user", users[0][0]);
  assert(checkerGrants.length > 0, "the Lambda's role is granted nothing");
  assert(apiGrants.length > 0, "the API user is granted nothing");
  return `Lambda: ${sorted(actionsOf(checkerGrants)).join(" ")}\nAPI:    ${sorted(actionsOf(apiGrants)).join(" ")}`;
});

await step("IAM: no wildcard action or resource anywhere", () => {
  for (const [name, doc] of Object.entries(tf.data.aws_iam_policy_document || {})) {
    for (const s of doc.statement || []) {
      for (const a of s.actions || []) assert(!a.includes("*"), `policy ${name}: action ${a}`);
      for (const r of s.resources || []) {
        assert(r !== "*" && !/^arn:aws:[a-z]+:\*/.test(r), `policy ${name}: resource ${r}`);
      }
    }
  }
});

const runtimeCalled = () => new Set([...dynamoCalled].filter((a) => !INIT_ONLY.has(a)));

await step("IAM: the ping history table: each principal gets exactly its PINGS_TABLE_OPS on it, in statements of its own", () => {
  for (const [who, grants] of [["the Lambda", checkerGrants], ["the API user", apiGrants]]) {
    const notCalled = PINGS_TABLE_OPS[who].filter((a) => !runtimeCalled().has(a));
    equal(notCalled, [], `PINGS_TABLE_OPS of ${who} that src/ does not call`);
    assert(grants, `${who}'s grants are unknown (see above)`);
    const onPings = grants.filter((s) => s.resources.some((r) => r.startsWith(PINGS_ARN)));
    assert(onPings.length > 0, `${who} cannot reach the pings table`);
    for (const s of onPings) {
      equal(s.resources, [PINGS_ARN], `${who}'s statement ${s.sid}: resources (the pings table alone, no index)`);
    }
    equal(sorted(actionsOf(onPings)), PINGS_TABLE_OPS[who], `${who}'s actions on the pings table`);
  }
});

await step("IAM: the API replicas are granted exactly the DynamoDB operations the code calls (store init aside)", () => {
  assert(dynamoCalled, "the code's DynamoDB calls are unknown (see above)");
  const granted = actionsOf(apiGrants, "dynamodb:");
  const missing = sorted(runtimeCalled()).filter((a) => !granted.has(a));
  const extra = sorted(granted).filter((a) => !runtimeCalled().has(a));
  assert(missing.length === 0 && extra.length === 0,
         `called but not granted: [${missing.join(", ")}]; granted but never called: [${extra.join(", ")}]`);
  const others = sorted(actionsOf(apiGrants)).filter((a) => !a.startsWith("dynamodb:"));
  equal(others, [], "the API user's non-DynamoDB actions");
  const resources = new Set(apiGrants.flatMap((s) => s.resources));
  for (const r of resources) {
    assert(/^\$\{aws_dynamodb_table\.(monitors|api_keys|pings)\.arn\}(\/index\/(overdue-check-index|uuid-index))?$/.test(r),
           `the API user is granted access to ${r}`);
  }
  assert(resources.has("${aws_dynamodb_table.api_keys.arn}"), "the API user cannot reach the keys table");
});

// What a checker pass (RunCheckPass: Checker::RunCycle, then Deliverer::DeliverReady) calls
// in src/store/dynamo/dynamo_store.cc, read off the code:
//   DueMonitors                        QueryPartitions -> client->QueryAll      Query
//   ApplyCheck                         Mutate: GetRecord -> client->GetItem     GetItem
//                                      then client->PutItem, or, for an expired
//                                      monitor, client->DeleteItem             PutItem DeleteItem
//   ClaimAlerts                        QueryAlerting -> QueryAll, then Mutate   Query GetItem PutItem
//   FinishAlert, RetryAlert,           Mutate (LeasedChange: always a Put)      GetItem PutItem
//     RejectAlert
// (DynamoStore::Open and Close make no request; CountPendingAlerts, a Query, is for a
// checker without Telegram, which bootstrap refuses to start as.) Never Scan (CountMonitors,
// List, DeleteExpired), UpdateItem (Ping, TouchKeys) or the keys table. A store change that
// makes the checker call something else fails here until this list and the grant follow.
const CHECKER_DYNAMO_OPS = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"];

await step("IAM: the Lambda gets exactly the DynamoDB operations of a checker pass on the monitors table and its index", () => {
  assert(dynamoCalled, "the code's DynamoDB calls are unknown (see above)");
  const notCalled = CHECKER_DYNAMO_OPS.filter((a) => !runtimeCalled().has(a));
  assert(notCalled.length === 0,
         `CHECKER_DYNAMO_OPS names operations src/store/dynamo/ no longer calls: [${notCalled.join(", ")}]`);
  // Its statements on the pings table are the step above's.
  const dynamo = checkerGrants.filter((s) => [...s.actions].some((a) => a.startsWith("dynamodb:")) &&
                                             !s.resources.some((r) => r.startsWith(PINGS_ARN)));
  const granted = actionsOf(dynamo, "dynamodb:");
  const missing = CHECKER_DYNAMO_OPS.filter((a) => !granted.has(a));
  const extra = sorted(granted).filter((a) => !CHECKER_DYNAMO_OPS.includes(a));
  assert(missing.length === 0 && extra.length === 0,
         `a checker pass calls but the Lambda is not granted: [${missing.join(", ")}]; ` +
         `granted to the Lambda but not called by a checker pass: [${extra.join(", ")}]`);
  for (const s of dynamo) {
    for (const r of s.resources) {
      assert(/^\$\{aws_dynamodb_table\.monitors\.arn\}(\/index\/overdue-check-index)?$/.test(r),
             `the Lambda is granted access to ${r} (it needs the monitors table and its index, and the pings table)`);
    }
    assert([...s.actions].every((a) => a.startsWith("dynamodb:")), `statement ${s.sid} mixes services`);
  }
  assert(dynamo.some((s) => s.actions.has("dynamodb:Query") &&
                            s.resources.includes("${aws_dynamodb_table.monitors.arn}/index/overdue-check-index")),
         "the Lambda cannot query overdue-check-index");
});

await step("IAM: the Lambda reads exactly the SSM operations the code calls, on its parameters and the channel secrets' path", () => {
  assert(ssmCalled, "the code's SSM calls are unknown (see above)");
  // bootstrap reads its two parameters with GetParameter (ReadSecretsFromSsm in
  // src/app/lambda_command.cc), and that is all src/aws/ssm.cc can call.
  equal(sorted(ssmCalled), ["ssm:GetParameter"], "SSM operations in src/aws/ssm.cc");
  const ssm = checkerGrants.filter((s) => [...s.actions].some((a) => a.startsWith("ssm:")));
  equal(sorted(actionsOf(ssm, "ssm:")), ["ssm:GetParameter"], "ssm actions granted to the Lambda");
  equal(sorted(new Set(ssm.flatMap((s) => s.resources))),
        ["${aws_ssm_parameter.telegram_bot_token.arn}", "${aws_ssm_parameter.telegram_chat_id.arn}",
         "${local.channel_secrets_arn}"], "ssm resources");
  // The channels' "ssm:NAME" secrets and /<prefix>/smtp-url: the parameters under /<prefix>/
  // of this account and region, and no others.
  equal(tf.locals.channel_secrets_arn,
        "arn:${data.aws_partition.current.partition}:ssm:${var.aws_region}:" +
        "${data.aws_caller_identity.current.account_id}:parameter/${var.name_prefix}/*",
        "local.channel_secrets_arn");
  assert(resolve(tf.locals.smtp_url_parameter).startsWith(`/${variableDefault("name_prefix")}/`),
         "the smtp-url parameter is not under the channel secrets' path");
  equal(sorted(actionsOf(apiGrants, "ssm:")), [], "ssm actions granted to the API user");
});

await step("IAM: the Lambda's logs permissions are on its own log group; nothing else is granted", () => {
  const logs = checkerGrants.filter((s) => [...s.actions].some((a) => a.startsWith("logs:")));
  for (const s of logs) {
    for (const a of s.actions) {
      assert(["logs:CreateLogStream", "logs:PutLogEvents"].includes(a), `logs action ${a} (the log group is Terraform's)`);
    }
    for (const r of s.resources) {
      assert(r.startsWith("${aws_cloudwatch_log_group.checker.arn}"), `logs resource ${r}`);
    }
  }
  // SecureString parameters under the AWS-managed key alias/aws/ssm need no kms:Decrypt
  // grant; one under a key of our own (key_id) needs kms:Decrypt on that key, and only then.
  const keys = resourcesOf("aws_ssm_parameter").map(([, p]) => p.key_id).filter((k) => k !== undefined);
  const kms = checkerGrants.filter((s) => [...s.actions].some((a) => a.startsWith("kms:")));
  if (keys.length === 0) {
    equal(sorted(actionsOf(kms, "kms:")), [], "kms actions granted to the Lambda (the parameters use alias/aws/ssm)");
  } else {
    equal(sorted(actionsOf(kms, "kms:")), ["kms:Decrypt"], "kms actions granted to the Lambda (the parameters' key_id)");
    assert(kms.every((s) => [...s.actions].every((a) => a.startsWith("kms:"))), "a kms statement mixes services");
  }
  const others = sorted(actionsOf(checkerGrants)).filter((a) => !/^(dynamodb|ssm|logs|kms):/.test(a));
  equal(others, [], "the Lambda's other actions");
});

await step("IAM: nothing anywhere grants an action the code does not call (logs, a CMK's kms:Decrypt aside); no store init", () => {
  assert(dynamoCalled && ssmCalled, "the code's calls are unknown (see above)");
  const assumeDocs = new Set(resourcesOf("aws_iam_role").map(([, r]) => reference(r.assume_role_policy)?.[1]));
  const ownKey = resourcesOf("aws_ssm_parameter").some(([, p]) => p.key_id !== undefined);
  const extra = [];
  for (const [name, doc] of Object.entries(tf.data.aws_iam_policy_document || {})) {
    if (assumeDocs.has(name)) continue;
    for (const s of doc.statement || []) {
      for (const a of s.actions || []) {
        if (a.startsWith("logs:") || (ownKey && a === "kms:Decrypt")) continue;
        if (INIT_ONLY.has(a) || !(runtimeCalled().has(a) || ssmCalled.has(a))) extra.push(`${name}: ${a}`);
      }
    }
  }
  assert(extra.length === 0, `granted but not called at run time: ${[...new Set(extra)].join(", ")}`);
});

finish();
