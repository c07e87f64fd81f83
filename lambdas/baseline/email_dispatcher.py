"""ANTI-PATTERN REFERENCE. DO NOT DEPLOY. See README.md in this folder.

The `email-dispatcher` worker that seed 000's coordinator fires. The seed does
not show it; this is the obvious minimal one: send the message with SES. It
calls the same API as the notification workflow's SendEmail state (SESv2
SendEmail, `arn:aws:states:::aws-sdk:sesv2:sendEmail`), so one fault rule hits
both designs alike. An error is raised, not handled: the invocation fails,
Lambda retries the asynchronous event twice, and then drops it. Nothing records
that.
"""

import os

import boto3

sesv2 = boto3.client("sesv2")
SENDER = os.environ.get("SENDER_EMAIL", "notifications@example.com")  # the seed's Source


def handler(event, context):
    response = sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [event["user_email"]]},
        Content={
            "Simple": {
                "Subject": {"Data": "Your Requested Notification"},  # the seed's subject
                "Body": {"Text": {"Data": event["message_content"]}},
            }
        },
    )
    return {"MessageId": response["MessageId"]}
