# Least privilege. The DynamoDB actions below are exactly the operations the code calls
# (src/store/dynamo/*.cc, SSM in src/aws/ssm.cc); tests/deploy/terraform.test.mjs compares
# the two, so a new call in the code fails that test until it is granted here.
#
# Nobody gets CreateTable, DescribeTable, UpdateTable or UpdateTimeToLive (`heartbeat store
# init`): Terraform creates the tables.
#
# The ping history table's grants (both principals) are the operations agreed with the store's
# history code (record a ping and prune the oldest, list, read a body, delete a monitor's
# history in batches), which is merged separately: until it is, the test holds them to that
# list (PINGS_TABLE_OPS there), and to the code's calls after.

# --- the checker Lambda ------------------------------------------------------------------

data "aws_iam_policy_document" "checker_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "checker" {
  name               = local.function_name
  description        = "heartbeat checker Lambda"
  assume_role_policy = data.aws_iam_policy_document.checker_assume.json
}

data "aws_iam_policy_document" "checker" {
  # A checker pass: query the overdue index (and the ALERTING partition), read a monitor
  # and write it back conditionally (the decision with its queued alert, the outbox
  # leases), remove a monitor found expired. It never scans the table, never writes in
  # batches, never records pings (UpdateItem), and never touches the API keys.
  statement {
    sid = "Monitors"
    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
    ]
    resources = [
      aws_dynamodb_table.monitors.arn,
      "${aws_dynamodb_table.monitors.arn}/index/overdue-check-index",
    ]
  }

  # The ping history (PINGS_TABLE): a checker pass writes status changes (BatchWriteItem) and
  # removes an expired monitor's history (Query, then BatchWriteItem).
  statement {
    sid = "PingHistory"
    actions = [
      "dynamodb:BatchWriteItem",
      "dynamodb:Query",
    ]
    resources = [aws_dynamodb_table.pings.arn]
  }

  statement {
    sid     = "TelegramSecrets"
    actions = ["ssm:GetParameter"]
    resources = [
      aws_ssm_parameter.telegram_bot_token.arn,
      aws_ssm_parameter.telegram_chat_id.arn,
    ]
  }

  # Every parameter under /<prefix>/: /<prefix>/smtp-url (ssm.tf, when e-mail is on) and
  # the secrets of channels written "ssm:NAME", which the operator puts there (a webhook's
  # URL, another bot's token).
  statement {
    sid       = "ChannelSecrets"
    actions   = ["ssm:GetParameter"]
    resources = [local.channel_secrets_arn]
  }

  statement {
    sid = "Logs"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["${aws_cloudwatch_log_group.checker.arn}:*"]
  }
}

resource "aws_iam_role_policy" "checker" {
  name   = "checker"
  role   = aws_iam_role.checker.id
  policy = data.aws_iam_policy_document.checker.json
}

# --- the API replicas (on premises) ------------------------------------------------------
#
# `heartbeat serve` on DynamoDB: pings, the monitor list, pause and the rest, the in-process
# checker (unless --no-checker), and the API keys (look-ups, last-used times, and
# `heartbeat keys add/list/revoke` run with the same credentials). It reads no SSM
# parameter: a replica that runs the checker gets TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID
# in its environment.
#
# The user has no access key from Terraform (its secret would sit in the state): create
# one with `aws iam create-access-key --user-name heartbeat-api`. Or attach the policy to
# a role instead (EKS IRSA, IAM Roles Anywhere) and drop the user.

data "aws_iam_policy_document" "api" {
  statement {
    sid = "Monitors"
    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:UpdateItem",
    ]
    resources = [
      aws_dynamodb_table.monitors.arn,
      "${aws_dynamodb_table.monitors.arn}/index/overdue-check-index",
      "${aws_dynamodb_table.monitors.arn}/index/uuid-index",
    ]
  }

  statement {
    sid = "ApiKeys"
    # keys add (PutItem), list and the server's refresh (Scan), revoke (DeleteItem), last
    # used (UpdateItem).
    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:PutItem",
      "dynamodb:Scan",
      "dynamodb:UpdateItem",
    ]
    resources = [aws_dynamodb_table.api_keys.arn]
  }

  statement {
    sid = "PingHistory"
    # A signal's entry with the pruning of the oldest, a status change, a deleted monitor's
    # history (BatchWriteItem); the history and a deletion's reading of it (Query); a ping's
    # body (GetItem).
    actions = [
      "dynamodb:BatchWriteItem",
      "dynamodb:GetItem",
      "dynamodb:Query",
    ]
    resources = [aws_dynamodb_table.pings.arn]
  }
}

resource "aws_iam_policy" "api" {
  name        = "${var.name_prefix}-api"
  description = "heartbeat API replicas: the DynamoDB operations of heartbeat serve and heartbeat keys"
  policy      = data.aws_iam_policy_document.api.json
}

resource "aws_iam_user" "api" {
  name = "${var.name_prefix}-api"
}

resource "aws_iam_user_policy_attachment" "api" {
  user       = aws_iam_user.api.name
  policy_arn = aws_iam_policy.api.arn
}
