# modules/policy_document, offline: `terraform -chdir=modules/policy_document test`
# (after `terraform init -backend=false`). The provider is real, so the policy
# asserted is the JSON the provider renders, but it is given fake credentials
# and told to call nothing: the data source is computed locally.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "terraform-test"
  secret_key                  = "terraform-test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variables {
  statements = [
    {
      sid       = "ReserveStock"
      actions   = ["dynamodb:UpdateItem"]
      resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/demo-stock", "arn:aws:dynamodb:us-east-1:123456789012:table/demo-orders"]
    },
    {
      sid       = "UseTableKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
      }]
    },
    {
      sid       = "SendTraces"
      actions   = ["xray:PutTraceSegments"]
      resources = ["*"]
    },
  ]
}

run "each_statement_is_rendered_as_given_and_nothing_more" {
  command = plan

  assert {
    condition     = [for s in jsondecode(output.json).Statement : s.Sid] == ["ReserveStock", "UseTableKey", "SendTraces"]
    error_message = "The statements must be rendered in the order given: ${output.json}"
  }
  assert {
    condition     = alltrue([for s in jsondecode(output.json).Statement : s.Effect == "Allow" && length(setsubtract(keys(s), ["Sid", "Effect", "Action", "Resource", "Condition"])) == 0])
    error_message = "Every statement must be an Allow of listed actions on listed resources: ${output.json}"
  }
  assert {
    # IAM's JSON writes one action or resource as a string, several as a list
    # in an order of the provider's: both are compared as sorted lists.
    condition = [
      for s in jsondecode(output.json).Statement : {
        sid       = s.Sid
        actions   = sort(flatten([s.Action]))
        resources = sort(flatten([s.Resource]))
        conditions = flatten([
          for test, variables in try(s.Condition, {}) : [
            for variable, values in variables : { test = test, variable = variable, values = sort(flatten([values])) }
          ]
        ])
      }
      ] == [
      for s in var.statements : {
        sid        = s.sid
        actions    = sort(s.actions)
        resources  = sort(s.resources)
        conditions = [for c in s.conditions : { test = c.test, variable = c.variable, values = sort(c.values) }]
      }
    ]
    error_message = "Each statement must be rendered with its own actions, resources and conditions, and nothing more: ${output.json}"
  }
}

run "no_statements_is_an_empty_policy" {
  command = plan
  variables {
    statements = []
  }
  assert {
    condition     = jsondecode(output.json) == { Version = "2012-10-17" }
    error_message = "An empty list must render a policy with no statement: ${output.json}"
  }
}

# Variable validations: a sid that IAM refuses is rejected; one of letters and
# digits is accepted at its shortest.

run "a_sid_with_other_characters_is_rejected" {
  command = plan
  variables {
    statements = [{
      sid       = "Reserve_Stock"
      actions   = ["dynamodb:UpdateItem"]
      resources = ["*"]
    }]
  }
  expect_failures = [var.statements]
}

run "a_sid_of_letters_and_digits_is_accepted" {
  command = plan
  variables {
    statements = [{
      sid       = "R2"
      actions   = ["dynamodb:UpdateItem"]
      resources = ["*"]
    }]
  }
  assert {
    condition     = jsondecode(output.json).Statement[0].Sid == "R2"
    error_message = "A sid of letters and digits must be accepted and used."
  }
}
