"""Calls to the operations routes of an in-process stack, and faults for the delivery log."""

import json
from typing import Any
from urllib.parse import urlencode

from local_stack.http_events import HttpResponse
from tests.support.sqs_pump import take_all
from tests.support.stack import InProcessStack


def trigger(stack: InProcessStack) -> str:
    """GET /action; returns the trigger id."""
    response = stack.call_api("TriggerFunction", "GET", "/action")
    assert response.status == 202, response.body
    trigger_id: str = response.json()["triggerId"]
    return trigger_id


def sender_event(stack: InProcessStack) -> dict[str, list[dict[str, str]]]:
    """Every message now in the delivery queue, taken out as one SQS event for the sender."""
    messages = take_all(stack, "DeliveryQueue")
    return {"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]}


def deliveries(stack: InProcessStack, webhook_id: str, **query: object) -> HttpResponse:
    return stack.call_api(
        "ListDeliveriesFunction",
        "GET",
        f"/webhooks/{webhook_id}/deliveries",
        route="/webhooks/{id}/deliveries",
        query=urlencode(query),
    )


def delivery_log(stack: InProcessStack, webhook_id: str, **query: object) -> list[dict[str, Any]]:
    """Every entry of a webhook's log, oldest first, read page by page."""
    entries: list[dict[str, Any]] = []
    next_token = None
    while True:
        page_query = query | ({"nextToken": next_token} if next_token else {})
        response = deliveries(stack, webhook_id, **page_query)
        assert response.status == 200, response.body
        page = response.json()
        entries.extend(page["deliveries"])
        next_token = page["nextToken"]
        if next_token is None:
            return entries[::-1]


def trigger_summary(stack: InProcessStack, trigger_id: str) -> HttpResponse:
    return stack.call_api(
        "GetTriggerFunction", "GET", f"/triggers/{trigger_id}", route="/triggers/{triggerId}"
    )


def dead_letter_page(stack: InProcessStack, **query: object) -> HttpResponse:
    return stack.call_api(
        "ListDeadLettersFunction", "GET", "/dead-letters", query=urlencode(query)
    )


def replay(stack: InProcessStack, body: object = None) -> HttpResponse:
    payload = None if body is None else body if isinstance(body, str) else json.dumps(body)
    return stack.call_api(
        "ReplayDeadLettersFunction", "POST", "/dead-letters/replay", body=payload
    )


class FailingBatchWrites:
    """Wraps a real DynamoDB client. BatchWriteItem calls numbered in `failing_calls`
    (from 0) fail outright when `unprocessed` is 0; otherwise they write all but their
    first `unprocessed` items, which come back under UnprocessedItems as DynamoDB returns
    items it throttled. Every other call goes through untouched."""

    def __init__(self, client: Any, failing_calls: range, unprocessed: int = 0) -> None:
        self._client = client
        self.failing_calls = failing_calls
        self.unprocessed = unprocessed
        self.calls = 0

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803
        from botocore.exceptions import EndpointConnectionError

        call, self.calls = self.calls, self.calls + 1
        if call not in self.failing_calls:
            return dict(self._client.batch_write_item(RequestItems=RequestItems))
        if not self.unprocessed:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.injected-failure")
        ((table_name, requests),) = RequestItems.items()
        withheld, passed = requests[: self.unprocessed], requests[self.unprocessed :]
        if passed:
            self._client.batch_write_item(RequestItems={table_name: passed})
        return {"UnprocessedItems": {table_name: withheld}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def use_delivery_log_client(stack: InProcessStack, client: Any) -> None:
    """Make the sender's delivery log recorder write through `client`."""
    from webhook_fanout.delivery_log import DeliveryLogStore
    from webhook_fanout.delivery_recording import DeliveryLogRecorder

    sender = stack.module("SenderFunction").sender
    (recorder,) = [r for r in sender.recorders if isinstance(r, DeliveryLogRecorder)]
    recorder.store = DeliveryLogStore(recorder.store.table_name, client=client)


class UnreachableAws:
    """Stands in for a boto3 client whose every call fails to connect."""

    def __getattr__(self, name: str) -> Any:
        from botocore.exceptions import EndpointConnectionError

        def fail(**_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url=f"https://{name}.injected-failure")

        return fail
