"""The project's own exceptions.

Domain errors are mapped to HTTP status codes in one place, `webhook_fanout.http_api`.
Errors from boto3 are wrapped in `StorageError` or `QueueError` by the modules that call
AWS, so that callers never depend on botocore's exception types.
"""


class FanoutError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigurationError(FanoutError):
    """An environment variable a function needs is missing or malformed."""


class WebhookNotFound(FanoutError):
    def __init__(self, webhook_id: str) -> None:
        super().__init__(f"webhook '{webhook_id}' does not exist")
        self.webhook_id = webhook_id


class WebhookIdTaken(FanoutError):
    def __init__(self, webhook_id: str) -> None:
        super().__init__(f"webhook id '{webhook_id}' is already registered")
        self.webhook_id = webhook_id


class TriggerNotFound(FanoutError):
    def __init__(self, trigger_id: str) -> None:
        super().__init__(f"trigger '{trigger_id}' has no record in the delivery log")
        self.trigger_id = trigger_id


class InvalidPageToken(FanoutError):
    location = "query.nextToken"

    def __init__(self) -> None:
        super().__init__("nextToken is not a token this API issued")


class TargetUrlRejected(FanoutError):
    """A target URL is malformed or points at an address the service refuses to call."""

    def __init__(self, message: str, location: str = "body.targetUrl") -> None:
        super().__init__(message)
        self.location = location


class StorageError(FanoutError):
    """DynamoDB failed in a way that retrying inside the request did not fix."""


class QueueError(FanoutError):
    """SQS failed in a way that retrying inside the request did not fix."""
