variable "aws_region" {
  description = "The AWS region of every resource (and of the API replicas' AWS_REGION)."
  type        = string
  default     = "eu-north-1"
}

variable "name_prefix" {
  description = "Prefix of every name: tables <prefix>-monitors and <prefix>-api-keys (the Rust version's names with the default) and <prefix>-pings, function <prefix>-checker, parameters /<prefix>/telegram-*, IAM user <prefix>-api."
  type        = string
  default     = "heartbeat"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2 to 32 characters of a-z, 0-9 and -, starting with a letter."
  }
}

variable "alert_email" {
  description = "Where the CloudWatch alarms (checker failing, checker not running) send e-mail. AWS asks this address to confirm the subscription."
  type        = string

  validation {
    condition     = can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.alert_email))
    error_message = "alert_email must be an e-mail address."
  }
}

variable "schedule_expression" {
  description = "How often EventBridge runs the checker: rate(...) or cron(...)."
  type        = string
  default     = "rate(1 minute)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be an EventBridge rate(...) or cron(...) expression."
  }
}

variable "lambda_zip_path" {
  description = "The checker's bootstrap.zip, from scripts/build-lambda.sh; relative to the directory terraform runs in."
  type        = string
  default     = "../build/lambda/arm64/bootstrap.zip"
}

variable "lambda_architecture" {
  description = "arm64 (the default, as built by scripts/build-lambda.sh) or x86_64 (scripts/build-lambda.sh x86_64; set lambda_zip_path to match)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_timeout_seconds" {
  description = "The checker's timeout. Kept below the schedule's period, so that one run ends before the next begins."
  type        = number
  default     = 50

  validation {
    condition     = var.lambda_timeout_seconds >= 3 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be between 3 and 900."
  }
}

variable "check_partitions" {
  description = "CHECK_PARTITIONS: 1 keeps every monitor under the GSI partition \"CHECK\" (as the Rust version does); N > 1 spreads them over CHECK#0 .. CHECK#N-1. The API replicas must use the same value."
  type        = number
  default     = 1

  validation {
    condition     = var.check_partitions >= 1 && var.check_partitions <= 256 && floor(var.check_partitions) == var.check_partitions
    error_message = "check_partitions must be a whole number from 1 to 256."
  }
}

variable "alert_repeat_interval" {
  description = "ALERT_REPEAT_INTERVAL: how often an alert repeats while a monitor stays overdue (a duration such as 1h or 30m)."
  type        = string
  default     = "1h"
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps the checker's logs."
  type        = number
  default     = 14
}

variable "point_in_time_recovery" {
  description = "DynamoDB point-in-time recovery (continuous backups of the last 35 days) for every table."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection for every table: set it to false (and apply) before terraform destroy."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource (besides Project = heartbeat)."
  type        = map(string)
  default     = {}
}
