"""Bodies of the HTTP API: what requests may contain and what responses hold.

Request models refuse unknown fields and wrong types, and accept only the camelCase names
of the contract, so that a typo in a field name is a 422 instead of a silent default.
"""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from webhook_fanout.errors import TargetUrlRejected
from webhook_fanout.url_guard import MAX_TARGET_URL_LENGTH, parse_target_url

WEBHOOK_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


def _check_url_shape(url: str) -> str:
    try:
        parse_target_url(url)
    except TargetUrlRejected as error:
        raise ValueError(str(error)) from None
    return url


WebhookId = Annotated[str, StringConstraints(pattern=WEBHOOK_ID_PATTERN)]
TargetUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TARGET_URL_LENGTH),
    AfterValidator(_check_url_shape),
]


class ApiRequest(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        extra="forbid",
        strict=True,
        frozen=True,
    )


class ApiResponse(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
        serialize_by_alias=True,
        frozen=True,
    )


class RegisterWebhookRequest(ApiRequest):
    target_url: TargetUrl = Field(description="Absolute http or https URL to POST to.")
    webhook_id: WebhookId | None = Field(
        default=None,
        alias="id",
        description="Id chosen by the admin; generated when absent.",
    )


class UpdateWebhookRequest(ApiRequest):
    new_target_url: TargetUrl


class Webhook(ApiResponse):
    webhook_id: str = Field(alias="id")
    target_url: str
    created_at: str = Field(description="ISO 8601 time of registration, UTC.")
    updated_at: str = Field(description="ISO 8601 time of the last change, UTC.")


class RegisteredWebhook(Webhook):
    secret: str = Field(
        description="Signing secret (Standard Webhooks, whsec_...). Shown only here and on "
        "rotation: store it now."
    )


class RotatedSecret(ApiResponse):
    webhook_id: str = Field(alias="id")
    secret: str = Field(description="The new signing secret; shown only once.")
    previous_secret_expires_at: str = Field(
        description="Until this ISO 8601 time, deliveries carry a signature made with the "
        "previous secret too."
    )


class WebhookPage(ApiResponse):
    webhooks: list[Webhook]
    next_token: str | None = Field(
        description="Pass as nextToken to read the next page; null on the last page."
    )


class ErrorBody(ApiResponse):
    message: str = Field(description="What is wrong, for a person to read.")


class TriggerAccepted(ApiResponse):
    trigger_id: str = Field(description="Id of this fan-out, carried by every delivery of it.")
    ip_address: str = Field(description="The visitor's IP, as the targets receive it.")
    queued: int = Field(description="Targets written to the delivery queue; 0 when none.")


class TriggerIncomplete(ApiResponse):
    message: str
    trigger_id: str
    queued: int = Field(description="Targets written to the delivery queue; they will be sent.")
    not_queued: int = Field(description="Targets that could not be queued.")
