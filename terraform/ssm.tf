# The secrets, read by the checker at start (ssm:GetParameter, decrypted).
#
# Terraform creates each parameter with the value of its variable when one is given
# (terraform apply -var telegram_bot_token=… -var telegram_chat_id=…), else with the
# placeholder "unset", and then never looks at its value again (ignore_changes): a value is
# changed with the AWS CLI (README, "On AWS, with the API on premises"), or with
# terraform apply -replace=aws_ssm_parameter.<name> -var <name>=…, which creates the
# parameter anew. Left out of the command line, a secret is in no plan, no shell history
# and no Terraform state, which everyone who can read the state bucket can read; given on
# it, it is in the state (as the parameter's value).
#
# They are encrypted with the account's AWS-managed key alias/aws/ssm, which needs no
# kms:Decrypt grant in the checker's policy. With a key of your own, add key_id here and
# kms:Decrypt on that key to data.aws_iam_policy_document.checker.
#
# The checker also reads the secrets of channels written "ssm:NAME" (a webhook's URL, a
# bot token): parameters the operator puts under /<prefix>/ (iam.tf grants that path).

resource "aws_ssm_parameter" "telegram_bot_token" {
  name        = local.bot_token_parameter
  description = "heartbeat: the Telegram bot token (set with aws ssm put-parameter --overwrite)"
  type        = "SecureString"
  value       = coalesce(var.telegram_bot_token, "unset")

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "telegram_chat_id" {
  name        = local.chat_id_parameter
  description = "heartbeat: the Telegram chat id alerts go to (set with aws ssm put-parameter --overwrite)"
  type        = "SecureString"
  value       = coalesce(var.telegram_chat_id, "unset")

  lifecycle {
    ignore_changes = [value]
  }
}

# SMTP_URL of e-mail channels (its password is a secret): only when e-mail is on (smtp_from).
resource "aws_ssm_parameter" "smtp_url" {
  count = local.email_enabled ? 1 : 0

  name        = local.smtp_url_parameter
  description = "heartbeat: SMTP_URL of e-mail alerts, smtp://user:password@host:587 (set with aws ssm put-parameter --overwrite)"
  type        = "SecureString"
  value       = coalesce(var.smtp_url, "unset")

  lifecycle {
    ignore_changes = [value]
  }
}
