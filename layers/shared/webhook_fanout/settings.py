"""Function settings, read once from environment variables at cold start.

Each function validates exactly the variables it needs, so that a missing or malformed
one fails the cold start with a message naming the variable instead of failing later.
"""

import os
from collections.abc import Mapping
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from webhook_fanout.errors import ConfigurationError


def _split_comma_separated(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class _EnvironmentSettings(BaseModel):
    # Field aliases are the environment variable names; other variables are ignored.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class WebhooksApiSettings(_EnvironmentSettings):
    table_name: str = Field(alias="WEBHOOKS_TABLE_NAME", min_length=1)
    allow_private_targets: bool = Field(alias="ALLOW_PRIVATE_TARGETS", default=False)


class AuthorizerSettings(_EnvironmentSettings):
    admin_token_secret_id: str = Field(alias="ADMIN_TOKEN_SECRET_ARN", min_length=1)
    secret_cache_seconds: int = Field(alias="ADMIN_TOKEN_CACHE_SECONDS", default=300, ge=0)


class _DeliveryLogWriterSettings(_EnvironmentSettings):
    """What every function that writes to the delivery log needs to know."""

    delivery_log_table_name: str = Field(alias="DELIVERY_LOG_TABLE_NAME", min_length=1)
    delivery_log_retention_days: int = Field(
        alias="DELIVERY_LOG_RETENTION_DAYS", default=30, ge=1, le=3650
    )


class TriggerSettings(_DeliveryLogWriterSettings):
    table_name: str = Field(alias="WEBHOOKS_TABLE_NAME", min_length=1)
    delivery_queue_url: str = Field(alias="DELIVERY_QUEUE_URL", min_length=1)


class SenderSettings(_DeliveryLogWriterSettings):
    table_name: str = Field(alias="WEBHOOKS_TABLE_NAME", min_length=1)
    delivery_queue_url: str = Field(alias="DELIVERY_QUEUE_URL", min_length=1)
    dead_letter_queue_url: str = Field(alias="DELIVERY_DLQ_URL", min_length=1)
    max_attempts: int = Field(alias="MAX_ATTEMPTS", default=5, ge=1, le=100)
    retry_delays_seconds: Annotated[
        tuple[Annotated[int, Field(ge=0, le=900)], ...],
        BeforeValidator(_split_comma_separated),
    ] = Field(alias="RETRY_DELAYS_SECONDS", default=(10, 60, 300, 900), min_length=1)
    request_timeout_seconds: float = Field(
        alias="REQUEST_TIMEOUT_SECONDS", default=10, gt=0, le=300
    )
    allow_private_targets: bool = Field(alias="ALLOW_PRIVATE_TARGETS", default=False)


class DeliveryLogApiSettings(_EnvironmentSettings):
    delivery_log_table_name: str = Field(alias="DELIVERY_LOG_TABLE_NAME", min_length=1)


class DeadLettersApiSettings(_EnvironmentSettings):
    dead_letter_queue_url: str = Field(alias="DELIVERY_DLQ_URL", min_length=1)


class ReplaySettings(_DeliveryLogWriterSettings):
    dead_letter_queue_url: str = Field(alias="DELIVERY_DLQ_URL", min_length=1)
    delivery_queue_url: str = Field(alias="DELIVERY_QUEUE_URL", min_length=1)


SettingsModel = TypeVar("SettingsModel", bound=_EnvironmentSettings)


def load_settings(
    model: type[SettingsModel], environment: Mapping[str, str] | None = None
) -> SettingsModel:
    """Validate the environment against `model`, naming each variable at fault."""
    source = os.environ if environment is None else environment
    try:
        return model.model_validate(dict(source))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigurationError(f"invalid environment for {model.__name__}: {problems}") from None
