"""The webhooks table: one item per registered webhook, keyed by `id`.

Every write that must not clobber or resurrect an item is conditional, so two admins
racing on one id cannot both win, and an update or delete of a missing id is a 404.
"""

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from webhook_fanout import aws_clients
from webhook_fanout.errors import StorageError, WebhookIdTaken, WebhookNotFound
from webhook_fanout.models import Webhook, WebhookPage
from webhook_fanout.page_tokens import decode_page_token, encode_page_token

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Items in DynamoDB's typed JSON, for example {"id": {"S": "abc"}}.
Item = dict[str, Any]

# Secrets are stored in the same item but never read by the admin routes.
_PUBLIC_ATTRIBUTES = "id, targetUrl, createdAt, updatedAt"
_SENDING_ATTRIBUTES = (
    "id, targetUrl, signingSecret, previousSigningSecret, previousSecretExpiresAt"
)
_MAX_KEYS_PER_BATCH_GET = 100
_BATCH_GET_ATTEMPTS = 5


@dataclass(frozen=True)
class SendingDetails:
    """What the sender needs of a webhook at send time."""

    target_url: str
    signing_secrets: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """What the trigger needs to know of a webhook to queue a delivery to it."""

    webhook_id: str
    target_url: str


class WebhookStore:
    def __init__(self, table_name: str, client: "DynamoDBClient | None" = None) -> None:
        self.table_name = table_name
        self._client = client or aws_clients.dynamodb()

    def create(self, webhook_id: str, target_url: str, signing_secret: str) -> Webhook:
        now = _now()
        item: Item = {
            "id": {"S": webhook_id},
            "targetUrl": {"S": target_url},
            "createdAt": {"S": now},
            "updatedAt": {"S": now},
            "signingSecret": {"S": signing_secret},
        }
        with _storage_errors(on_condition_failed=WebhookIdTaken(webhook_id)):
            self._client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(id)",
            )
        return _webhook_from_item(item)

    def get(self, webhook_id: str) -> Webhook:
        with _storage_errors():
            response = self._client.get_item(
                TableName=self.table_name,
                Key={"id": {"S": webhook_id}},
                ConsistentRead=True,
                ProjectionExpression=_PUBLIC_ATTRIBUTES,
            )
        if "Item" not in response:
            raise WebhookNotFound(webhook_id)
        return _webhook_from_item(response["Item"])

    def list_page(self, limit: int, next_token: str | None) -> WebhookPage:
        arguments: dict[str, Any] = {}
        if next_token is not None:
            start_key = decode_page_token(next_token, key_names=("id",))
            arguments["ExclusiveStartKey"] = {"id": {"S": start_key["id"]}}
        with _storage_errors():
            response = self._client.scan(
                TableName=self.table_name,
                Limit=limit,
                ConsistentRead=True,
                ProjectionExpression=_PUBLIC_ATTRIBUTES,
                **arguments,
            )
        last_key = response.get("LastEvaluatedKey")
        return WebhookPage(
            webhooks=[_webhook_from_item(item) for item in response.get("Items", [])],
            next_token=encode_page_token({"id": last_key["id"]["S"]}) if last_key else None,
        )

    def update_target_url(self, webhook_id: str, target_url: str) -> Webhook:
        with _storage_errors(on_condition_failed=WebhookNotFound(webhook_id)):
            response = self._client.update_item(
                TableName=self.table_name,
                Key={"id": {"S": webhook_id}},
                UpdateExpression="SET targetUrl = :target_url, updatedAt = :now",
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeValues={
                    ":target_url": {"S": target_url},
                    ":now": {"S": _now()},
                },
                ReturnValues="ALL_NEW",
            )
        return _webhook_from_item(response["Attributes"])

    def rotate_signing_secret(
        self, webhook_id: str, new_secret: str, previous_valid_seconds: int
    ) -> datetime:
        """Make `new_secret` the signing secret; the previous one signs too until the time
        returned."""
        now = datetime.now(UTC)
        previous_expires_at = now + timedelta(seconds=previous_valid_seconds)
        with _storage_errors(on_condition_failed=WebhookNotFound(webhook_id)):
            self._client.update_item(
                TableName=self.table_name,
                Key={"id": {"S": webhook_id}},
                UpdateExpression=(
                    "SET previousSigningSecret = signingSecret, "
                    "previousSecretExpiresAt = :expires, signingSecret = :secret, "
                    "updatedAt = :now"
                ),
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeValues={
                    ":secret": {"S": new_secret},
                    ":expires": {"N": str(int(previous_expires_at.timestamp()))},
                    ":now": {"S": _format_time(now)},
                },
            )
        return previous_expires_at

    def delete(self, webhook_id: str) -> None:
        with _storage_errors(on_condition_failed=WebhookNotFound(webhook_id)):
            self._client.delete_item(
                TableName=self.table_name,
                Key={"id": {"S": webhook_id}},
                ConditionExpression="attribute_exists(id)",
            )

    def scan_targets(self, segment: int, total_segments: int) -> Iterator[list[Target]]:
        """Yield the targets of one parallel-scan segment, a DynamoDB page at a time."""
        paginator = self._client.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self.table_name,
            Segment=segment,
            TotalSegments=total_segments,
            ConsistentRead=True,
            ProjectionExpression="id, targetUrl",
        )
        with _storage_errors():
            for page in pages:
                yield [
                    Target(webhook_id=item["id"]["S"], target_url=item["targetUrl"]["S"])
                    for item in page.get("Items", [])
                ]

    def sending_details(self, webhook_ids: Iterable[str]) -> dict[str, SendingDetails]:
        """URL and signing secrets of each id still registered; deleted ids are absent."""
        details: dict[str, SendingDetails] = {}
        unique_ids = sorted(set(webhook_ids))
        now = time.time()
        for start in range(0, len(unique_ids), _MAX_KEYS_PER_BATCH_GET):
            keys = [
                {"id": {"S": webhook_id}}
                for webhook_id in unique_ids[start : start + _MAX_KEYS_PER_BATCH_GET]
            ]
            for item in self._batch_get(keys):
                details[item["id"]["S"]] = _sending_details_from_item(item, now)
        return details

    def _batch_get(self, keys: list[Item]) -> list[Item]:
        items: list[Item] = []
        request: dict[str, Any] = {
            self.table_name: {
                "Keys": keys,
                "ConsistentRead": True,
                "ProjectionExpression": _SENDING_ATTRIBUTES,
            }
        }
        for attempt in range(_BATCH_GET_ATTEMPTS):
            if attempt:
                time.sleep(0.05 * 2**attempt)
            with _storage_errors():
                response = self._client.batch_get_item(RequestItems=request)
            items.extend(response.get("Responses", {}).get(self.table_name, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return items
        raise StorageError("DynamoDB left keys unprocessed after retries")


def _webhook_from_item(item: Item) -> Webhook:
    return Webhook(
        webhook_id=item["id"]["S"],
        target_url=item["targetUrl"]["S"],
        created_at=item["createdAt"]["S"],
        updated_at=item["updatedAt"]["S"],
    )


def _sending_details_from_item(item: Item, now: float) -> SendingDetails:
    signing_secrets = [item["signingSecret"]["S"]] if "signingSecret" in item else []
    expires_at = float(item.get("previousSecretExpiresAt", {}).get("N", 0))
    if "previousSigningSecret" in item and expires_at > now:
        signing_secrets.append(item["previousSigningSecret"]["S"])
    return SendingDetails(item["targetUrl"]["S"], tuple(signing_secrets))


def _now() -> str:
    return _format_time(datetime.now(UTC))


def _format_time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@contextmanager
def _storage_errors(on_condition_failed: Exception | None = None) -> Iterator[None]:
    """Turn botocore errors into the project's own, keeping the original as the cause."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "ConditionalCheckFailedException" and on_condition_failed is not None:
            raise on_condition_failed from error
        raise StorageError(f"DynamoDB request failed: {code}") from error
    except BotoCoreError as error:
        raise StorageError(f"DynamoDB request failed: {type(error).__name__}") from error
