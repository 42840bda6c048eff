"""botocore's exceptions turned into the project's own, for the modules that call AWS.

Callers then depend on `StorageError` and `QueueError` only; the botocore exception stays
attached as the cause, so logs still show what AWS said.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from webhook_fanout.errors import FanoutError


@contextmanager
def aws_errors_as(error_type: type[FanoutError], request: str) -> Iterator[None]:
    """Raise `error_type` naming `request` (for example "DynamoDB Query") when it fails."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        raise error_type(f"{request} failed: {code}") from error
    except BotoCoreError as error:
        raise error_type(f"{request} failed: {type(error).__name__}") from error
