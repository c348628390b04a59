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

# --- secrets, optional -------------------------------------------------------------------
#
# Given on the command line (the Rust version's documented
#   terraform apply -var telegram_bot_token=… -var telegram_chat_id=…
# still works) or in terraform.tfvars, a secret becomes its SSM parameter's value when the
# parameter is created. Left out, the parameter is created with the placeholder "unset", to
# be set with the AWS CLI (README); either way Terraform never overwrites a value after that
# (ssm.tf). A secret given here is in the Terraform state (as the parameter's value): keep
# the state bucket as private as the secret, or leave these out and use the AWS CLI.

variable "telegram_bot_token" {
  description = "The Telegram bot token, stored in the SSM parameter /<prefix>/telegram-bot-token when Terraform creates it. Default: none (the placeholder \"unset\"; put the token with aws ssm put-parameter)."
  type        = string
  default     = null
  sensitive   = true
}

variable "telegram_chat_id" {
  description = "The Telegram chat id alerts go to, stored in the SSM parameter /<prefix>/telegram-chat-id when Terraform creates it. Default: none (the placeholder \"unset\")."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.telegram_chat_id == null ? true : can(regex("^(-?[0-9]+|@[A-Za-z0-9_]{5,})$", var.telegram_chat_id))
    error_message = "telegram_chat_id must be a chat id (such as -1001234567890) or a channel's @name."
  }
}

# E-mail channels (SPEC §14): the Lambda sends through this SMTP server. E-mail is on when
# smtp_from is set; the SMTP URL, which holds the password, goes to the SSM parameter
# /<prefix>/smtp-url (SMTP_URL_PARAM), never into the function's environment.

variable "smtp_from" {
  description = "SMTP_FROM: the From address of e-mail alerts, such as heartbeat@example.com. Empty (the default): no e-mail from the Lambda, no smtp-url parameter."
  type        = string
  default     = ""

  validation {
    condition     = var.smtp_from == "" || can(regex("^[^@[:space:]]+@[^@[:space:]]+$", var.smtp_from))
    error_message = "smtp_from must be an e-mail address, or empty."
  }
}

variable "smtp_url" {
  description = "SMTP_URL, such as smtp://user:password@smtp.example.com:587, stored in the SSM parameter /<prefix>/smtp-url when Terraform creates it (needs smtp_from). Default: none (the placeholder \"unset\"; put it with aws ssm put-parameter)."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.smtp_url == null ? true : can(regex("^smtps?://[^[:space:]]+$", var.smtp_url))
    error_message = "smtp_url must be an smtp:// (or smtps://) URL."
  }
}

variable "smtp_tls" {
  description = "SMTP_TLS: starttls (the default: refuse to send without it), tls (implicit TLS, port 465) or none (a relay on loopback only)."
  type        = string
  default     = "starttls"

  validation {
    condition     = contains(["starttls", "tls", "none"], var.smtp_tls)
    error_message = "smtp_tls must be starttls, tls or none."
  }
}
