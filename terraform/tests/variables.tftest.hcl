# The optional secrets of variables.tf, planned with a mock AWS provider (no account, no
# network): terraform test, run by tests/deploy/terraform.test.mjs when terraform and the
# hashicorp/aws provider are installed.
#
#   cd terraform && terraform init -backend=false && terraform test

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  # The policies are the provider's own concern; a mock document is an empty policy.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  alert_email = "ops@example.com"
  # A plan only hashes the zip: any file will do.
  lambda_zip_path = "versions.tf"
}

run "without_secrets_the_parameters_hold_the_placeholder" {
  command = plan

  assert {
    condition     = aws_ssm_parameter.telegram_bot_token.value == "unset"
    error_message = "the bot token parameter is not the placeholder"
  }
  assert {
    condition     = aws_ssm_parameter.telegram_chat_id.value == "unset"
    error_message = "the chat id parameter is not the placeholder"
  }
  assert {
    condition     = length(aws_ssm_parameter.smtp_url) == 0
    error_message = "an smtp-url parameter without smtp_from"
  }
  assert {
    condition     = aws_lambda_function.checker.environment[0].variables["SMTP_URL_PARAM"] == ""
    error_message = "SMTP_URL_PARAM is set without smtp_from"
  }
  assert {
    condition     = local.channel_secrets_arn == "arn:aws:ssm:eu-north-1:123456789012:parameter/heartbeat/*"
    error_message = "the channel secrets' path is not /heartbeat/*"
  }
}

# The Rust version's documented command.
run "the_documented_command_sets_the_telegram_parameters" {
  command = plan

  variables {
    telegram_bot_token = "123456:ABC-DEF"
    telegram_chat_id   = "-1001234567890"
  }

  assert {
    condition     = nonsensitive(aws_ssm_parameter.telegram_bot_token.value) == "123456:ABC-DEF"
    error_message = "the bot token parameter does not hold the token given"
  }
  assert {
    condition     = nonsensitive(aws_ssm_parameter.telegram_chat_id.value) == "-1001234567890"
    error_message = "the chat id parameter does not hold the chat id given"
  }
}

run "email_puts_the_smtp_url_in_ssm_and_the_rest_in_the_environment" {
  command = plan

  variables {
    smtp_from = "heartbeat@example.com"
    smtp_url  = "smtp://user:secret@smtp.example.com:587"
    smtp_tls  = "tls"
  }

  assert {
    condition     = nonsensitive(aws_ssm_parameter.smtp_url[0].value) == "smtp://user:secret@smtp.example.com:587"
    error_message = "the smtp-url parameter does not hold the URL given"
  }
  assert {
    condition     = aws_ssm_parameter.smtp_url[0].name == "/heartbeat/smtp-url"
    error_message = "the smtp-url parameter's name"
  }
  assert {
    condition = (
      aws_lambda_function.checker.environment[0].variables["SMTP_URL_PARAM"] == "/heartbeat/smtp-url" &&
      aws_lambda_function.checker.environment[0].variables["SMTP_TLS"] == "tls" &&
      aws_lambda_function.checker.environment[0].variables["SMTP_FROM"] == "heartbeat@example.com"
    )
    error_message = "the Lambda's SMTP settings"
  }
  assert {
    condition     = !contains(values(aws_lambda_function.checker.environment[0].variables), "smtp://user:secret@smtp.example.com:587")
    error_message = "the SMTP URL is in the Lambda's environment"
  }
}

run "email_without_the_url_gets_the_placeholder" {
  command = plan

  variables {
    smtp_from = "heartbeat@example.com"
  }

  assert {
    condition     = nonsensitive(aws_ssm_parameter.smtp_url[0].value) == "unset"
    error_message = "the smtp-url parameter is not the placeholder"
  }
}

run "smtp_url_without_smtp_from_is_refused" {
  command = plan

  variables {
    smtp_url = "smtp://user:secret@smtp.example.com:587"
  }

  expect_failures = [aws_lambda_function.checker]
}

run "a_bad_smtp_tls_is_refused" {
  command = plan

  variables {
    smtp_tls = "ssl"
  }

  expect_failures = [var.smtp_tls]
}
