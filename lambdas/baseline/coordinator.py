"""ANTI-PATTERN REFERENCE. DO NOT DEPLOY. See README.md in this folder.

Seed 000's "traffic controller" Lambda, reproduced line for line (only the
indentation the seed lost is restored, and comments are added). It parses the
request, then fires the hard-coded `sms-sender` and `email-dispatcher` functions
with InvocationType='Event' (fire and forget) and swallows any ClientError.
It answers 202 "queued" whatever happens downstream, and records nothing.

The project keeps it only so its weaknesses can be measured against the
notification workflow (tests/e2e/test_baseline.py, `make bench`).
"""

import json

import boto3
from botocore.exceptions import ClientError

aws_lambda = boto3.client("lambda")


def handler(event, context):
    try:
        # An SNS-triggered event, or an API Gateway proxy event whose body is the request.
        payload = (
            json.loads(event["Records"][0]["Sns"]["Message"])
            if "Records" in event
            else json.loads(event.get("body", "{}"))
        )
        mode = payload.get("delivery_mode", "invalid")

        def invoke_worker(func_name, data):
            try:
                aws_lambda.invoke(
                    FunctionName=func_name,  # hard-coded worker names: tight coupling
                    InvocationType="Event",  # fire and forget: the worker's outcome is never seen
                    Payload=json.dumps(data),
                )
            except ClientError:
                pass  # Silent failure for downstream errors

        if mode == "dual":
            invoke_worker("sms-sender", payload)
            invoke_worker("email-dispatcher", payload)
        elif mode == "text":
            invoke_worker("sms-sender", payload)
        elif mode == "mail":
            invoke_worker("email-dispatcher", payload)
        else:
            return {"statusCode": 400, "body": json.dumps({"error": "Unrecognized delivery mode"})}

        return {"statusCode": 202, "body": json.dumps({"status": "Notification request queued"})}

    except (json.JSONDecodeError, KeyError):
        return {"statusCode": 400, "body": json.dumps({"error": "Malformed request payload"})}
    except Exception:
        return {"statusCode": 500, "body": json.dumps({"error": "Server-side processing failure"})}
