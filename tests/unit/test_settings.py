import pytest

from webhook_fanout.errors import ConfigurationError
from webhook_fanout.settings import SenderSettings, WebhooksApiSettings, load_settings

SENDER_ENVIRONMENT = {
    "WEBHOOKS_TABLE_NAME": "webhooks",
    "DELIVERY_QUEUE_URL": "http://queue",
    "DELIVERY_DLQ_URL": "http://dlq",
    "DELIVERY_LOG_TABLE_NAME": "delivery-log",
}


def test_settings_are_read_from_the_named_variables():
    settings = load_settings(
        SenderSettings,
        {
            **SENDER_ENVIRONMENT,
            "MAX_ATTEMPTS": "3",
            "RETRY_DELAYS_SECONDS": "1, 2,30",
            "REQUEST_TIMEOUT_SECONDS": "2.5",
            "ALLOW_PRIVATE_TARGETS": "true",
        },
    )
    assert settings.max_attempts == 3
    assert settings.retry_delays_seconds == (1, 2, 30)
    assert settings.request_timeout_seconds == 2.5
    assert settings.allow_private_targets is True


def test_defaults_follow_the_template():
    settings = load_settings(SenderSettings, SENDER_ENVIRONMENT)
    assert settings.max_attempts == 5
    assert settings.retry_delays_seconds == (10, 60, 300, 900)
    assert settings.allow_private_targets is False


def test_a_missing_variable_is_named():
    with pytest.raises(ConfigurationError, match="WEBHOOKS_TABLE_NAME"):
        load_settings(WebhooksApiSettings, {})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_ATTEMPTS", "zero"),
        ("MAX_ATTEMPTS", "0"),
        ("RETRY_DELAYS_SECONDS", "10,abc"),
        ("RETRY_DELAYS_SECONDS", "901"),
        ("RETRY_DELAYS_SECONDS", ""),
        ("ALLOW_PRIVATE_TARGETS", "maybe"),
    ],
)
def test_a_malformed_variable_is_named(name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_settings(SenderSettings, {**SENDER_ENVIRONMENT, name: value})
