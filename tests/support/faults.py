"""Failures injected into real AWS clients, the way SQS reports them under load."""

from typing import Any


class PartlyFailingSqs:
    """Wraps a real SQS client. SendMessageBatch calls numbered in `failing_calls` (from 0)
    report their first `failed_entries` entries under `Failed` without sending them, as
    SQS may while answering 200; every other call goes through untouched."""

    def __init__(self, client: Any, failed_entries: int, failing_calls: range) -> None:
        self._client = client
        self.failed_entries = failed_entries
        self.failing_calls = failing_calls
        self.calls = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        call, self.calls = self.calls, self.calls + 1
        withheld = Entries[: self.failed_entries] if call in self.failing_calls else []
        passed = Entries[len(withheld) :]
        response: dict[str, Any] = {"Successful": [], "Failed": []}
        if passed:
            response = self._client.send_message_batch(QueueUrl=QueueUrl, Entries=passed)
        response["Failed"] = response.get("Failed", []) + [
            {
                "Id": entry["Id"],
                "SenderFault": False,
                "Code": "InternalError",
                "Message": "injected",
            }
            for entry in withheld
        ]
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class BrokenSqs:
    """Wraps a real SQS client whose SendMessageBatch always fails outright."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls = 0

    def send_message_batch(self, **_: Any) -> dict[str, Any]:
        from botocore.exceptions import EndpointConnectionError

        self.calls += 1
        raise EndpointConnectionError(endpoint_url="https://sqs.injected-failure")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
