"""SES v2 for LocalStack's community runtime, which does not serve it ("not included in your current
license plan"), backed by the moto store LocalStack already carries (moto-ext has SES v2).

Every operation goes to moto, as LocalStack's own SES v1 provider does, except:
- GetEmailIdentity and DeleteEmailIdentity read moto's store directly: moto's routing cannot match
  an identity in the path (`x%40example.com`) and answers 404 for every address;
- SendEmail also records the email where LocalStack lists SES v1's, GET /_aws/ses (registered at
  start-up, not at SES v1's first use), so emails sent through either API can be read back.
"""

from __future__ import annotations

from localstack.aws.api import CommonServiceException, RequestContext
from localstack.aws.skeleton import Skeleton
from localstack.aws.spec import load_service
from localstack.services.moto import call_moto
from localstack.services.plugins import Service, aws_provider
from localstack.services.ses.provider import (
    SentEmail,
    SentEmailBody,
    register_ses_api_resource,
    save_for_retrospection,
)

from sfn_refactor_localstack import enabled


def moto_backend(context: RequestContext):
    from moto.sesv2.models import sesv2_backends

    return sesv2_backends[context.account_id][context.region]


def not_found(name: str) -> CommonServiceException:
    return CommonServiceException("NotFoundException", f"Email identity {name} does not exist.", status_code=404)


def get_email_identity(context: RequestContext, request: dict) -> dict:
    backend = moto_backend(context)
    name = request["EmailIdentity"]
    if name not in backend.core_backend.email_identities:
        raise not_found(name)
    return backend.get_email_identity(name).get_response_object


def delete_email_identity(context: RequestContext, request: dict) -> dict:
    backend = moto_backend(context)
    name = request["EmailIdentity"]
    if name not in backend.core_backend.email_identities:
        raise not_found(name)
    backend.delete_email_identity(name)
    return {}


def send_email(context: RequestContext, request: dict) -> dict:
    response = call_moto(context)
    destination = request.get("Destination") or {}
    simple = (request.get("Content") or {}).get("Simple") or {}
    body = simple.get("Body") or {}
    save_for_retrospection(
        SentEmail(
            Id=response["MessageId"],
            Region=context.region,
            Destination=destination,
            Source=request.get("FromEmailAddress"),
            Subject=(simple.get("Subject") or {}).get("Data"),
            Body=SentEmailBody(
                text_part=(body.get("Text") or {}).get("Data"), html_part=(body.get("Html") or {}).get("Data")
            ),
        )
    )
    return response


def forward_to_moto(context: RequestContext, request: dict) -> dict:
    return call_moto(context)


OWN_OPERATIONS = {
    "GetEmailIdentity": get_email_identity,
    "DeleteEmailIdentity": delete_email_identity,
    "SendEmail": send_email,
}


@aws_provider(api="sesv2", should_load=lambda: enabled("sesv2"))
def sesv2() -> Service:
    model = load_service("sesv2")
    table = {name: OWN_OPERATIONS.get(name, forward_to_moto) for name in model.operation_names}
    register_ses_api_resource()
    return Service(name="sesv2", skeleton=Skeleton(model, table))
