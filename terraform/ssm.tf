# The Telegram secrets, read by the checker at start (ssm:GetParameter, decrypted).
#
# Terraform creates both parameters with a placeholder and then never looks at their values
# again (ignore_changes): the real values are put with the AWS CLI (README, "On AWS, with
# the API on premises"). So the bot token is never in a plan, in a -var on someone's
# command line, or in the Terraform state, which everyone who can read the state bucket
# can read.
#
# They are encrypted with the account's AWS-managed key alias/aws/ssm, which needs no
# kms:Decrypt grant in the checker's policy. With a key of your own, add key_id here and
# kms:Decrypt on that key to data.aws_iam_policy_document.checker.

resource "aws_ssm_parameter" "telegram_bot_token" {
  name        = local.bot_token_parameter
  description = "heartbeat: the Telegram bot token (set with aws ssm put-parameter --overwrite)"
  type        = "SecureString"
  value       = "unset"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "telegram_chat_id" {
  name        = local.chat_id_parameter
  description = "heartbeat: the Telegram chat id alerts go to (set with aws ssm put-parameter --overwrite)"
  type        = "SecureString"
  value       = "unset"

  lifecycle {
    ignore_changes = [value]
  }
}
