output "aws_region" {
  description = "AWS_REGION for the API replicas."
  value       = var.aws_region
}

output "monitors_table_name" {
  description = "MONITORS_TABLE for the API replicas."
  value       = aws_dynamodb_table.monitors.name
}

output "api_keys_table_name" {
  description = "KEYS_TABLE for the API replicas."
  value       = aws_dynamodb_table.api_keys.name
}

output "pings_table_name" {
  description = "PINGS_TABLE for the API replicas."
  value       = aws_dynamodb_table.pings.name
}

output "check_partitions" {
  description = "CHECK_PARTITIONS for the API replicas (the same as the checker's)."
  value       = var.check_partitions
}

output "checker_function_name" {
  description = "The checker Lambda."
  value       = aws_lambda_function.checker.function_name
}

output "checker_log_group" {
  description = "The checker's logs."
  value       = aws_cloudwatch_log_group.checker.name
}

output "telegram_bot_token_parameter" {
  description = "Put the bot token here: aws ssm put-parameter --overwrite --type SecureString --name <this> --value ..."
  value       = aws_ssm_parameter.telegram_bot_token.name
}

output "telegram_chat_id_parameter" {
  description = "Put the chat id here: aws ssm put-parameter --overwrite --type SecureString --name <this> --value ..."
  value       = aws_ssm_parameter.telegram_chat_id.name
}

output "api_user_name" {
  description = "The IAM user of the API replicas: aws iam create-access-key --user-name <this>."
  value       = aws_iam_user.api.name
}

output "api_policy_arn" {
  description = "The API replicas' policy, to attach to a role instead of the user if you prefer."
  value       = aws_iam_policy.api.arn
}

output "alarm_topic_arn" {
  description = "The SNS topic the CloudWatch alarms notify."
  value       = aws_sns_topic.alarms.arn
}
