output "invoke_url" {
  description = "URL of the stage: POST <invoke_url>/<route>."
  value       = aws_api_gateway_stage.this.invoke_url
}
