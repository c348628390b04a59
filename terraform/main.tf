locals {
  monitors_table_name = "${var.name_prefix}-monitors"
  api_keys_table_name = "${var.name_prefix}-api-keys"
  pings_table_name    = "${var.name_prefix}-pings"
  function_name       = "${var.name_prefix}-checker"
  bot_token_parameter = "/${var.name_prefix}/telegram-bot-token"
  chat_id_parameter   = "/${var.name_prefix}/telegram-chat-id"

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
