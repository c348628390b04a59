# Who watches the watchman: e-mail when the checker fails, and when it stops running.

resource "aws_sns_topic" "alarms" {
  name = "${var.name_prefix}-alarms"
}

# AWS sends a confirmation e-mail first; nothing arrives until it is confirmed.
resource "aws_sns_topic_subscription" "alarm_email" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

# A run fails when a step of the cycle failed (the store did not answer, a Telegram send
# failed and will be retried, the secrets could not be read) or the process crashed.
resource "aws_cloudwatch_metric_alarm" "checker_errors" {
  alarm_name        = "${local.function_name}-errors"
  alarm_description = "The heartbeat checker Lambda failed: see its log group ${aws_cloudwatch_log_group.checker.name}."
  namespace         = "AWS/Lambda"
  metric_name       = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.checker.function_name
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# No invocation for twice the schedule's period (at least 5 minutes; a day for a cron(...)
# schedule): the rule is disabled, the function throttled, or the permission gone.
resource "aws_cloudwatch_metric_alarm" "checker_not_running" {
  alarm_name        = "${local.function_name}-not-running"
  alarm_description = "The heartbeat checker Lambda has not been invoked: check the EventBridge rule ${aws_cloudwatch_event_rule.checker.name}."
  namespace         = "AWS/Lambda"
  metric_name       = "Invocations"
  dimensions = {
    FunctionName = aws_lambda_function.checker.function_name
  }
  statistic           = "Sum"
  period              = local.schedule_period_seconds == null ? 86400 : min(86400, max(300, ceil(local.schedule_period_seconds * 2 / 60) * 60))
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}
