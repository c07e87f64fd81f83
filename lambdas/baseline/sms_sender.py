"""ANTI-PATTERN REFERENCE. DO NOT DEPLOY. See README.md in this folder.

The `sms-sender` worker that seed 000's coordinator fires. The seed does not
show it; this is the obvious minimal one: publish the message to the phone
number with SNS. An error is raised, not handled: the invocation fails, Lambda
retries the asynchronous event twice, and then drops it. Nothing records that.
"""

import boto3

sns = boto3.client("sns")


def handler(event, context):
    response = sns.publish(PhoneNumber=event["user_phone"], Message=event["message_content"])
    return {"MessageId": response["MessageId"]}
