"""The embedded emulator's /_aws/sns/sms-messages and /_aws/ses answer exactly
as LocalStack 4.x does (services/sns/provider.py SNSServiceSMSMessagesApiResource,
services/ses/provider.py SesServiceApiResource and models.SentEmail), and the
observer reads those shapes, and the AWS mailbox's notifications."""

from __future__ import annotations

import re
import uuid

import requests

from harness.observe.observer import SesNotificationMailbox, recipients, sms_messages

# LocalStack's SNSServiceSMSMessagesApiResource._PAYLOAD_FIELDS
LOCALSTACK_SMS_FIELDS = {
    "PhoneNumber",
    "TopicArn",
    "SubscriptionArn",
    "MessageId",
    "Message",
    "MessageAttributes",
    "MessageStructure",
    "Subject",
}
# LocalStack's SentEmail for SendEmail (plus Timestamp, added when it is saved)
LOCALSTACK_EMAIL_FIELDS = {"Id", "Region", "Destination", "Source", "Subject", "Body", "Timestamp"}


def test_sms_messages_are_grouped_by_phone_with_localstacks_fields(emulator, stack):
    phone, other = "+14155550199", "+14155550198"
    sns = emulator.client("sns")
    sns.publish(PhoneNumber=phone, Message="first")
    sns.publish(PhoneNumber=other, Message="second")
    url = f"{emulator.endpoint_url}/_aws/sns/sms-messages"

    everything = requests.get(url, timeout=5).json()
    filtered = requests.get(url, params={"phoneNumber": phone, "region": stack.region}, timeout=5).json()

    assert set(everything) == {"sms_messages", "region"} and everything["region"] == stack.region
    assert list(filtered["sms_messages"]) == [phone]
    [message] = filtered["sms_messages"][phone]
    assert set(message) == LOCALSTACK_SMS_FIELDS
    assert message["Message"] == "first" and message["TopicArn"] is None and message["MessageAttributes"] == {}

    deleted = requests.delete(url, params={"phoneNumber": phone}, timeout=5)
    assert deleted.status_code == 204 and deleted.content == b""
    remaining = requests.get(url, timeout=5).json()["sms_messages"]
    assert phone not in remaining and [m["Message"] for m in remaining[other]] == ["second"]


def test_emails_have_localstacks_fields_and_filters(emulator, stack):
    to = f"user-{uuid.uuid4().hex[:8]}@example.com"
    emulator.client("sesv2").send_email(
        FromEmailAddress=stack.sender_email,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "Hello"}, "Body": {"Text": {"Data": "Body text"}}}},
    )
    url = f"{emulator.endpoint_url}/_aws/ses"

    [message] = [m for m in requests.get(url, timeout=5).json()["messages"] if to in recipients(m)]

    assert set(message) == LOCALSTACK_EMAIL_FIELDS
    assert message["Destination"] == {"ToAddresses": [to]}
    assert message["Body"] == {"text_part": "Body text", "html_part": None}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", message["Timestamp"])
    by_id = requests.get(url, params={"id": message["Id"]}, timeout=5).json()["messages"]
    assert [m["Id"] for m in by_id] == [message["Id"]]
    assert requests.get(url, params={"email": "nobody@example.org"}, timeout=5).json() == {"messages": []}
    assert requests.delete(url, params={"id": message["Id"]}, timeout=5).status_code == 204
    assert requests.get(url, params={"id": message["Id"]}, timeout=5).json() == {"messages": []}


def test_the_observer_reads_a_localstack_sms_payload():
    # As LocalStack 4.14 answers GET /_aws/sns/sms-messages after two direct publishes.
    payload = {
        "sms_messages": {
            "+14155550100": [
                {
                    "PhoneNumber": "+14155550100",
                    "TopicArn": None,
                    "SubscriptionArn": None,
                    "MessageId": "m1",
                    "Message": "hi",
                    "MessageAttributes": {},
                    "MessageStructure": None,
                    "Subject": None,
                }
            ]
        },
        "region": "us-east-1",
    }

    assert [m["Message"] for m in sms_messages(payload)] == ["hi"]
    assert recipients({"Destination": {"ToAddresses": ["a@x.io"], "CcAddresses": ["b@x.io"]}}) == ["a@x.io", "b@x.io"]
    assert recipients({"Id": "raw", "RawData": "..."}) == []


def test_an_ses_delivery_notification_becomes_a_sent_email_without_body():
    # The shape of an SES "Delivery" notification with headers (SES Developer Guide, notification contents).
    notification = {
        "notificationType": "Delivery",
        "mail": {
            "timestamp": "2026-11-22T10:00:00.000Z",
            "messageId": "0100abc",
            "source": "sender@example.com",
            "destination": ["success+t1@simulator.amazonses.com"],
            "commonHeaders": {"to": ["Someone <success+t1@simulator.amazonses.com>"], "subject": "Shipping update"},
        },
        "delivery": {"recipients": ["success+t1@simulator.amazonses.com"]},
    }

    email = SesNotificationMailbox.as_sent_email(notification)

    assert email == {
        "Id": "0100abc",
        "Source": "sender@example.com",
        "Subject": "Shipping update",
        "Destination": {"ToAddresses": ["success+t1@simulator.amazonses.com"]},
        "Timestamp": "2026-11-22T10:00:00.000Z",
    }
    assert "Body" not in email
