# The checker: bootstrap.zip (scripts/build-lambda.sh) runs one checker cycle per
# invocation, on an EventBridge schedule.

resource "aws_cloudwatch_log_group" "checker" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "checker" {
  function_name = local.function_name
  description   = "heartbeat checker: one cycle (overdue alerts, repeats, recoveries) per invocation"
  role          = aws_iam_role.checker.arn

  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = 128
  timeout          = var.lambda_timeout_seconds

  # One cycle at a time: two would only contend for the same conditional writes.
  reserved_concurrent_executions = 1

  # tests/lambda/bootstrap_test.cc starts bootstrap with these variables (Env()).
  environment {
    variables = {
      # bootstrap's default too; said here so that the function never depends on it.
      HEARTBEAT_STORE               = "dynamodb"
      HEARTBEAT_TABLE_NAME          = aws_dynamodb_table.monitors.name
      HEARTBEAT_API_KEYS_TABLE_NAME = aws_dynamodb_table.api_keys.name
      PINGS_TABLE                   = aws_dynamodb_table.pings.name
      TELEGRAM_BOT_TOKEN_PARAM      = aws_ssm_parameter.telegram_bot_token.name
      TELEGRAM_CHAT_ID_PARAM        = aws_ssm_parameter.telegram_chat_id.name
      ALERT_REPEAT_INTERVAL         = var.alert_repeat_interval
      CHECK_PARTITIONS              = tostring(var.check_partitions)
      LOG_FORMAT                    = "json"
      # E-mail channels: empty when e-mail is off (smtp_from unset); the URL, a secret, is
      # read from its SSM parameter like the Telegram secrets.
      SMTP_URL_PARAM = local.email_enabled ? aws_ssm_parameter.smtp_url[0].name : ""
      SMTP_TLS       = var.smtp_tls
      SMTP_FROM      = var.smtp_from
    }
  }

  # The log group (with its retention) and the role's permissions exist before the first
  # invocation, so that Lambda never creates a log group that keeps logs forever.
  depends_on = [
    aws_cloudwatch_log_group.checker,
    aws_iam_role_policy.checker,
  ]

  lifecycle {
    precondition {
      condition     = var.lambda_timeout_seconds < coalesce(local.schedule_period_seconds, 901)
      error_message = "lambda_timeout_seconds must be shorter than the period of schedule_expression, so that one run ends before the next begins."
    }

    precondition {
      condition     = var.smtp_url == null || local.email_enabled
      error_message = "smtp_url needs smtp_from: e-mail from the Lambda is on when smtp_from is set."
    }
  }
}

# A missed or failed run is not worth retrying: the next scheduled run does the same work
# with fresher data. Without this, Lambda retries a failed asynchronous invocation twice
# and keeps throttled ones (reserved concurrency 1) for up to 6 hours.
resource "aws_lambda_function_event_invoke_config" "checker" {
  function_name                = aws_lambda_function.checker.function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 60
}

resource "aws_cloudwatch_event_rule" "checker" {
  name                = "${local.function_name}-schedule"
  description         = "Runs the heartbeat checker"
  schedule_expression = var.schedule_expression
}

resource "aws_cloudwatch_event_target" "checker" {
  rule = aws_cloudwatch_event_rule.checker.name
  arn  = aws_lambda_function.checker.arn

  retry_policy {
    maximum_retry_attempts       = 0
    maximum_event_age_in_seconds = 60
  }
}

resource "aws_lambda_permission" "eventbridge" {
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.checker.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.checker.arn
}
