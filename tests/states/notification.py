"""The notification workflow (definitions/notification.asl.json), state by state, as
Terraform renders it for tests/test.tfvars.json: SMS and email retried twice
(sms_max_attempts, email_max_attempts), bookkeeping calls once (service_max_attempts)."""

from __future__ import annotations

from tests.states.cases import (
    ANY_TEXT,
    Case,
    Satisfies,
    caught,
    caught_cases,
    context_object,
    error,
    result,
    retry_cases,
)

TABLE = "sfn-refactor-test-notification-status"
EVENTS_TOPIC = "arn:aws:sns:us-east-1:123456789012:sfn-refactor-notification-events"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:sfn-refactor-test-notification:n-1"
CONTEXT = context_object(EXECUTION, start="2026-03-01T10:00:00.000Z", entered="2026-03-01T10:00:02.000Z")
NOW = CONTEXT["State"]["EnteredTime"]
PHONE, EMAIL = "+14155550100", "ann@example.com"
DUAL = {"delivery_mode": "dual", "message_content": "Hello", "user_phone": PHONE, "user_email": EMAIL}
TEXT = {"delivery_mode": "text", "message_content": "Hello", "user_phone": PHONE}
MAIL = {"delivery_mode": "mail", "message_content": "Hello", "user_email": EMAIL}
REQUEST = {**DUAL, "notification_id": "n-1", "subject": "Your notification"}
SENT, FAILED, SKIPPED = (
    {"status": "SENT", "detail": "m-1"},
    {"status": "FAILED", "detail": "SNS.OptedOutException"},
    {"status": "NOT_REQUESTED", "detail": "not requested"},
)
# The variables once both channels are known, for the states after DeliverChannels.
DELIVERED = {"request": REQUEST, "sms": SENT, "email": SENT, "status": "DELIVERED"}
FAILED_ALL = {**DELIVERED, "sms": FAILED, "email": {**FAILED, "detail": "SesV2.MessageRejectedException"}}


def choice(id: str, state: str, next: str, input=None, variables=None) -> Case:
    """A Choice rule: this input (and these variables) go to `next`; the input passes on unchanged."""
    given = {} if input is None else input
    return Case(id, state, input=given, variables=variables, next=next, output=given)


def rejected(state: str, error_name: str) -> Case:
    return Case(f"{state}-fails", state, status="FAILED", error=error_name, cause=ANY_TEXT)


VALIDATION = [
    choice("mode-missing", "CheckCommonFields", "RejectDeliveryMode", {"message_content": "Hello"}),
    choice("mode-unknown", "CheckCommonFields", "RejectDeliveryMode", {**TEXT, "delivery_mode": "fax"}),
    choice("mode-not-a-string", "CheckCommonFields", "RejectDeliveryMode", {**TEXT, "delivery_mode": ["text"]}),
    choice("input-an-array", "CheckCommonFields", "RejectDeliveryMode", [TEXT]),
    choice("message-missing", "CheckCommonFields", "RejectMessageContent", {"delivery_mode": "text"}),
    choice("message-empty", "CheckCommonFields", "RejectMessageContent", {**TEXT, "message_content": ""}),
    choice("mail-checks-email", "CheckCommonFields", "CheckEmail", MAIL),
    choice("text-checks-phone", "CheckCommonFields", "CheckPhone", TEXT),
    choice("dual-checks-phone", "CheckCommonFields", "CheckPhone", DUAL),
    choice("phone-missing", "CheckPhone", "RejectUserPhone", {**MAIL, "delivery_mode": "text"}),
    choice("phone-with-space", "CheckPhone", "RejectUserPhone", {**TEXT, "user_phone": "+1 415 555 0100"}),
    choice("phone-without-plus", "CheckPhone", "RejectUserPhone", {**TEXT, "user_phone": "14155550100"}),
    choice("text-phone-ok", "CheckPhone", "PrepareRequest", TEXT),
    choice("dual-phone-ok-checks-email", "CheckPhone", "CheckEmail", DUAL),
    choice("email-missing", "CheckEmail", "RejectUserEmail", {**TEXT, "delivery_mode": "mail"}),
    choice("email-two-ats", "CheckEmail", "RejectUserEmail", {**MAIL, "user_email": "a@b@example.com"}),
    choice("email-domain-without-dot", "CheckEmail", "RejectUserEmail", {**MAIL, "user_email": "ann@example"}),
    choice("email-ok", "CheckEmail", "PrepareRequest", MAIL),
    Case(
        "defaults-from-execution-and-subject",
        "PrepareRequest",
        input=DUAL,
        next="NormalizeRequest",
        output=DUAL,
        assigned={"defaults": {"notification_id": ANY_TEXT, "subject": "Your notification"}},
    ),
    Case(
        "request-fields-win-over-defaults",
        "NormalizeRequest",
        input={**DUAL, "subject": "Hi"},
        variables={"defaults": {"notification_id": "exec-1", "subject": "Your notification"}},
        next="CheckOptionalFields",
        assigned={
            "request": {**DUAL, "notification_id": "exec-1", "subject": "Hi"},
            # midnight UTC of the start day + record_ttl_days (90) in seconds
            "expires_at": Satisfies(lambda at: isinstance(at, int) and at % 86400 == 0, "midnight UTC + 90 days"),
        },
    ),
    choice(
        "notification-id-empty",
        "CheckOptionalFields",
        "RejectNotificationId",
        variables={"request": {**REQUEST, "notification_id": ""}},
    ),
    choice(
        "subject-not-a-string", "CheckOptionalFields", "RejectSubject", variables={"request": {**REQUEST, "subject": 5}}
    ),
    choice("request-complete", "CheckOptionalFields", "RecordRequest", variables={"request": REQUEST}),
    *(
        rejected(state, name)
        for state, name in [
            ("RejectDeliveryMode", "InvalidDeliveryMode"),
            ("RejectMessageContent", "InvalidRequest"),
            ("RejectUserPhone", "InvalidRequest"),
            ("RejectUserEmail", "InvalidRequest"),
            ("RejectNotificationId", "InvalidRequest"),
            ("RejectSubject", "InvalidRequest"),
            ("RejectUnrecorded", "RecordingFailed"),
            ("RejectUnrecordedOutcome", "RecordingFailed"),
            ("FailDelivery", "DeliveryFailed"),
        ]
    ),
]

RECORD_VARIABLES = {"request": REQUEST, "expires_at": 1780358400}
RECORDING = [
    Case(
        "recorded-in-progress-once",
        "RecordRequest",
        variables=RECORD_VARIABLES,
        context=CONTEXT,
        mock=result({}),
        next="DeliverChannels",
        request={
            "TableName": TABLE,
            "Item": {
                "notification_id": {"S": "n-1"},
                "status": {"S": "IN_PROGRESS"},
                "delivery_mode": {"S": "dual"},
                "execution_arn": {"S": EXECUTION},
                "created_at": {"S": "2026-03-01T10:00:00.000Z"},
                "updated_at": {"S": NOW},
                "expires_at": {"N": "1780358400"},
            },
            "ConditionExpression": "attribute_not_exists(notification_id)",
        },
    ),
    Case(
        "already-recorded-is-a-duplicate",
        "RecordRequest",
        variables=RECORD_VARIABLES,
        mock=error("DynamoDB.ConditionalCheckFailedException"),
        retried=0,
        status="CAUGHT_ERROR",
        next="ReportDuplicate",
        error="DynamoDB.ConditionalCheckFailedException",
        output=caught("DynamoDB.ConditionalCheckFailedException"),
        details={"catchIndex": 0},
    ),
    Case(
        "missing-table-not-retried",
        "RecordRequest",
        variables=RECORD_VARIABLES,
        mock=error("DynamoDB.ResourceNotFoundException"),
        retried=0,
        status="CAUGHT_ERROR",
        next="RejectUnrecorded",
        error="DynamoDB.ResourceNotFoundException",
        details={"catchIndex": 1},
    ),
    *retry_cases(
        "RecordRequest",
        ["DynamoDB.ProvisionedThroughputExceededException"],
        1,
        "RejectUnrecorded",
        retrier=1,
        variables=RECORD_VARIABLES,
    ),
    Case(
        "duplicate-answers-its-id",
        "ReportDuplicate",
        variables={"request": REQUEST},
        output={"notification_id": "n-1", "status": "DUPLICATE"},
    ),
]

CHANNELS = {"request": REQUEST}
DELIVERY = [
    Case(
        "both-channels-kept-as-variables",
        "DeliverChannels",
        variables=CHANNELS,
        mock=result([SENT, SKIPPED]),
        next="DecideOutcome",
        assigned={"sms": SENT, "email": SKIPPED},
    ),
    Case(
        "an-uncaught-branch-error-fails-it",
        "DeliverChannels",
        variables=CHANNELS,
        mock=error("States.Runtime"),
        caused_by="SendSms",
        status="FAILED",
        error="States.Runtime",
    ),
    choice("text-sends-sms", "IsSmsRequested", "SendSms", variables={"request": {**REQUEST, "delivery_mode": "text"}}),
    choice("dual-sends-sms", "IsSmsRequested", "SendSms", variables=CHANNELS),
    choice("mail-skips-sms", "IsSmsRequested", "SkipSms", variables={"request": {**REQUEST, "delivery_mode": "mail"}}),
    Case("sms-not-requested", "SkipSms", output=SKIPPED),
    Case(
        "sms-sent-to-the-phone-alone",
        "SendSms",
        variables=CHANNELS,
        mock=result({"MessageId": "m-1"}),
        request={"PhoneNumber": PHONE, "Message": "Hello"},
        output=SENT,
    ),
    *caught_cases(
        "SendSms",
        "sms-{}-not-retried",
        dict.fromkeys(
            ["SNS.InvalidParameterException", "SNS.OptedOutException", "SNS.AuthorizationErrorException"],
            "MarkSmsFailed",
        ),
        CHANNELS,
    ),
    *retry_cases(
        "SendSms", ["SNS.ThrottledException", "States.Timeout"], 2, "MarkSmsFailed", retrier=1, variables=CHANNELS
    ),
    Case(
        "sms-failure-names-the-error",
        "MarkSmsFailed",
        input=caught("SNS.OptedOutException", "opted out"),
        output=FAILED,
    ),
    choice(
        "mail-sends-email", "IsEmailRequested", "SendEmail", variables={"request": {**REQUEST, "delivery_mode": "mail"}}
    ),
    choice("dual-sends-email", "IsEmailRequested", "SendEmail", variables=CHANNELS),
    choice(
        "text-skips-email", "IsEmailRequested", "SkipEmail", variables={"request": {**REQUEST, "delivery_mode": "text"}}
    ),
    Case("email-not-requested", "SkipEmail", output=SKIPPED),
    Case(
        "email-sent-from-the-sender-identity",
        "SendEmail",
        variables=CHANNELS,
        mock=result({"MessageId": "m-1"}),
        request={
            "FromEmailAddress": "notifications@example.com",
            "Destination": {"ToAddresses": [EMAIL]},
            "Content": {"Simple": {"Subject": {"Data": "Your notification"}, "Body": {"Text": {"Data": "Hello"}}}},
        },
        output=SENT,
    ),
    *caught_cases(
        "SendEmail",
        "email-{}-not-retried",
        dict.fromkeys(
            ["SesV2.MessageRejectedException", "SesV2.MailFromDomainNotVerifiedException"], "MarkEmailFailed"
        ),
        CHANNELS,
    ),
    *retry_cases("SendEmail", ["SesV2.TooManyRequestsException"], 2, "MarkEmailFailed", retrier=1, variables=CHANNELS),
    Case(
        "email-failure-names-the-error",
        "MarkEmailFailed",
        input=caught("SesV2.MessageRejectedException", "rejected"),
        output={"status": "FAILED", "detail": "SesV2.MessageRejectedException"},
    ),
]

OUTCOME = [
    choice("both-sent-delivered", "DecideOutcome", "MarkDelivered", variables={"sms": SENT, "email": SENT}),
    choice(
        "one-sent-one-skipped-delivered", "DecideOutcome", "MarkDelivered", variables={"sms": SENT, "email": SKIPPED}
    ),
    choice(
        "one-sent-one-failed-partial",
        "DecideOutcome",
        "MarkPartiallyDelivered",
        variables={"sms": FAILED, "email": SENT},
    ),
    choice("failed-and-skipped-failed", "DecideOutcome", "MarkFailed", variables={"sms": FAILED, "email": SKIPPED}),
    choice("both-failed-failed", "DecideOutcome", "MarkFailed", variables={"sms": FAILED, "email": FAILED}),
    *(
        Case(f"status-{status}", state, next="RecordOutcome", assigned={"status": status})
        for state, status in [
            ("MarkDelivered", "DELIVERED"),
            ("MarkPartiallyDelivered", "PARTIALLY_DELIVERED"),
            ("MarkFailed", "FAILED"),
        ]
    ),
    Case(
        "outcome-recorded-per-channel",
        "RecordOutcome",
        variables=FAILED_ALL | {"status": "FAILED"},
        context=CONTEXT,
        mock=result({}),
        next="PublishOutcomeEvent",
        request={
            "TableName": TABLE,
            "Key": {"notification_id": {"S": "n-1"}},
            "UpdateExpression": "SET #status = :status, sms_status = :sms_status, sms_detail = :sms_detail, "
            "email_status = :email_status, email_detail = :email_detail, updated_at = :now, completed_at = :now",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":status": {"S": "FAILED"},
                ":sms_status": {"S": "FAILED"},
                ":sms_detail": {"S": "SNS.OptedOutException"},
                ":email_status": {"S": "FAILED"},
                ":email_detail": {"S": "SesV2.MessageRejectedException"},
                ":now": {"S": NOW},
            },
        },
    ),
    Case(
        "outcome-table-missing-not-retried",
        "RecordOutcome",
        variables=DELIVERED,
        mock=error("DynamoDB.ResourceNotFoundException"),
        retried=0,
        status="CAUGHT_ERROR",
        next="RejectUnrecordedOutcome",
        error="DynamoDB.ResourceNotFoundException",
    ),
    *retry_cases(
        "RecordOutcome",
        ["DynamoDB.InternalServerErrorException"],
        1,
        "RejectUnrecordedOutcome",
        retrier=1,
        variables=DELIVERED,
    ),
    Case(
        "event-published-to-the-topic",
        "PublishOutcomeEvent",
        variables=DELIVERED,
        context=CONTEXT,
        mock=result({"MessageId": "e-1"}),
        next="PutOutcomeMetric",
        request={
            "TopicArn": EVENTS_TOPIC,
            "Message": {
                "notification_id": "n-1",
                "status": "DELIVERED",
                "delivery_mode": "dual",
                "sms": "SENT",
                "email": "SENT",
                "execution_arn": EXECUTION,
            },
            "MessageAttributes": {"status": {"DataType": "String", "StringValue": "DELIVERED"}},
        },
    ),
    Case(
        "event-topic-missing-not-retried-best-effort",
        "PublishOutcomeEvent",
        variables=DELIVERED,
        mock=error("SNS.NotFoundException"),
        retried=0,
        status="CAUGHT_ERROR",
        next="PutOutcomeMetric",
        error="SNS.NotFoundException",
    ),
    *retry_cases(
        "PublishOutcomeEvent", ["SNS.ThrottledException"], 1, "PutOutcomeMetric", retrier=1, variables=DELIVERED
    ),
    Case(
        "metric-counts-status-and-mode",
        "PutOutcomeMetric",
        variables=DELIVERED,
        mock=result({}),
        next="CheckDelivered",
        request={
            "Namespace": "SfnRefactor/Notifications",
            "MetricData": [
                {
                    "MetricName": "Notifications",
                    "Dimensions": [{"Name": "Status", "Value": "DELIVERED"}, {"Name": "DeliveryMode", "Value": "dual"}],
                    "Value": 1,
                    "Unit": "Count",
                }
            ],
        },
    ),
    *retry_cases(
        "PutOutcomeMetric",
        ["CloudWatch.InternalServiceFaultException"],
        1,
        "CheckDelivered",
        retrier=0,
        variables=DELIVERED,
    ),
    choice("failed-fails-the-execution", "CheckDelivered", "FailDelivery", variables={"status": "FAILED"}),
    choice("delivered-reports", "CheckDelivered", "ReportOutcome", variables={"status": "DELIVERED"}),
    choice("partial-reports", "CheckDelivered", "ReportOutcome", variables={"status": "PARTIALLY_DELIVERED"}),
    Case(
        "outcome-per-channel",
        "ReportOutcome",
        variables={**DELIVERED, "email": SKIPPED},
        output={
            "notification_id": "n-1",
            "status": "DELIVERED",
            "delivery_mode": "dual",
            "sms": "SENT",
            "email": "NOT_REQUESTED",
        },
    ),
]

NOTIFICATION = VALIDATION + RECORDING + DELIVERY + OUTCOME
