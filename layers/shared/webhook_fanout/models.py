"""Bodies of the HTTP API: what requests may contain and what responses hold.

Request models refuse unknown fields and wrong types, and accept only the camelCase names
of the contract, so that a typo in a field name is a 422 instead of a silent default.
"""

from enum import StrEnum
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


class CamelCaseModel(BaseModel):
    """Written as JSON in camelCase, as the contract names fields; built in code by the
    Python names. Responses and queue messages use it."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
        serialize_by_alias=True,
        frozen=True,
    )


class ApiResponse(CamelCaseModel):
    """A response body of the HTTP API."""


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


class Problem(ApiResponse):
    location: str = Field(description="Where the problem is, for example body.targetUrl.")
    message: str


class ValidationErrorBody(ErrorBody):
    errors: list[Problem]


class TriggerAccepted(ApiResponse):
    trigger_id: str = Field(description="Id of this fan-out, carried by every delivery of it.")
    ip_address: str = Field(description="The visitor's IP, as the targets receive it.")
    queued: int = Field(description="Targets written to the delivery queue; 0 when none.")


class TriggerIncomplete(ApiResponse):
    message: str
    trigger_id: str
    queued: int = Field(description="Targets written to the delivery queue; they will be sent.")
    not_queued: int = Field(description="Targets that could not be queued.")


# ---------------------------------------------------------------- operations

TRIGGER_ID_PATTERN = r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$"
TriggerId = Annotated[str, StringConstraints(pattern=TRIGGER_ID_PATTERN)]


class DeliveryOutcome(StrEnum):
    """What one entry of the delivery log says became of a delivery."""

    DELIVERED = "delivered"  # the target answered 2xx
    RETRYING = "retrying"  # the attempt failed; another one is queued
    DEAD_LETTERED = "dead_lettered"  # the attempt failed and was the last: in the DLQ
    CANCELLED = "cancelled"  # the webhook was deleted; nothing was sent
    REPLAYED = "replayed"  # moved from the DLQ back to the delivery queue by an admin


class DeliveryLogEntry(ApiResponse):
    delivery_id: str = Field(description="Sent as the webhook-id header; the same every attempt.")
    webhook_id: str
    trigger_id: str = Field(description="The GET /action call that queued the delivery.")
    attempt: int = Field(description="1 for the first attempt; replaying starts again at 1.")
    outcome: DeliveryOutcome
    attempted_at: str = Field(description="ISO 8601 time the attempt started, UTC.")
    status_code: int | None = Field(default=None, description="Null when no answer came.")
    error: str | None = Field(
        default=None, description="Why it failed: status 500, timeout, connection error, ..."
    )
    duration_ms: int | None = Field(default=None, description="Time the POST took.")
    retry_delay_seconds: int | None = Field(
        default=None, description="When retrying: the delay before the next attempt."
    )


class DeliveryLogPage(ApiResponse):
    deliveries: list[DeliveryLogEntry] = Field(description="Newest first.")
    next_token: str | None = Field(
        description="Pass as nextToken to read the next page; null on the last page."
    )


class TriggerSummary(ApiResponse):
    trigger_id: str
    triggered_at: str = Field(description="ISO 8601 time of the GET /action call, UTC.")
    queued: int = Field(description="delivered + retrying + deadLettered + cancelled.")
    delivered: int
    retrying: int = Field(
        description="Queued targets not yet delivered, dead-lettered or cancelled: waiting "
        "for their first attempt, a retry, or a replayed attempt."
    )
    dead_lettered: int
    cancelled: int = Field(description="Targets whose webhook was deleted before sending.")


class DeadLetter(ApiResponse):
    delivery_id: str
    webhook_id: str
    trigger_id: str
    target_url: str = Field(description="The URL when queued; a replay sends to the current one.")
    attempts_made: int
    last_error: str | None


class DeadLetterPage(ApiResponse):
    approximate_messages: int = Field(
        description="SQS's count of messages in the DLQ; each holds 1 to 10 targets."
    )
    dead_letters: list[DeadLetter] = Field(description="At most `limit` waiting targets.")
    complete: bool = Field(description="True when deadLetters holds every waiting target.")
    waiting_targets: int | None = Field(
        description="Targets in the DLQ when complete is true; null otherwise."
    )
    unreadable_messages: int = Field(
        description="Messages seen that are not deliveries; they stay and are never replayed."
    )


class ReplayRequest(ApiRequest):
    webhook_id: WebhookId | None = Field(
        default=None, description="Replay only this webhook's targets; all when absent."
    )


class ReplayResult(ApiResponse):
    moved: int = Field(description="Targets moved back to the delivery queue.")
    complete: bool = Field(
        description="False when time ran out before the DLQ was read to the end; call again."
    )


class ReplayIncomplete(ApiResponse):
    message: str
    moved: int = Field(description="Targets moved back to the delivery queue; they will be sent.")
    not_moved: int = Field(description="Targets that could not be moved; they stay in the DLQ.")
