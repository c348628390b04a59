locals {
  monitors_table_name = "${var.name_prefix}-monitors"
  api_keys_table_name = "${var.name_prefix}-api-keys"
  pings_table_name    = "${var.name_prefix}-pings"
  function_name       = "${var.name_prefix}-checker"
  bot_token_parameter = "/${var.name_prefix}/telegram-bot-token"
  chat_id_parameter   = "/${var.name_prefix}/telegram-chat-id"
  smtp_url_parameter  = "/${var.name_prefix}/smtp-url"

  # E-mail channels on the Lambda: on when a From address is set (ssm.tf, lambda.tf).
  email_enabled = var.smtp_from != ""

  # Every SSM parameter under /<prefix>/: the secrets of channels written "ssm:NAME".
  channel_secrets_arn = "arn:${data.aws_partition.current.partition}:ssm:${var.aws_region}:${data.aws_caller_identity.current.account_id}:parameter/${var.name_prefix}/*"

  # The schedule's period in seconds when it is a rate(...) expression; null for a
  # cron(...) expression, which is not parsed.
  schedule_rate = try(regex("^rate\\(([0-9]+) (minutes?|hours?|days?)\\)$", var.schedule_expression), null)
  schedule_unit_seconds = {
    minute  = 60
    minutes = 60
    hour    = 3600
    hours   = 3600
    day     = 86400
    days    = 86400
  }
  schedule_period_seconds = try(
    tonumber(local.schedule_rate[0]) * local.schedule_unit_seconds[local.schedule_rate[1]],
    null,
  )
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
