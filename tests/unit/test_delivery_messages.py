import pytest
from pydantic import ValidationError

from webhook_fanout.delivery_messages import DeliveryMessage, DeliveryTarget, pack_targets
from webhook_fanout.delivery_queue import OutgoingMessage, split_into_batches


def targets(count: int, url_length: int = 30) -> list[DeliveryTarget]:
    return [
        DeliveryTarget(
            delivery_id=f"d{n}", webhook_id=f"w{n}", target_url="https://e.com/" + "a" * url_length
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(
    ("count", "sizes"), [(1, [1]), (10, [10]), (11, [10, 1]), (25, [10, 10, 5])]
)
def test_targets_are_packed_ten_to_a_message_in_order(count, sizes):
    messages = list(pack_targets("t", "198.51.100.1", targets(count)))

    assert [len(message.targets) for message in messages] == sizes
    packed = [target.delivery_id for message in messages for target in message.targets]
    assert packed == [f"d{n}" for n in range(count)]
    assert all(message.trigger_id == "t" for message in messages)


def test_no_targets_make_no_messages():
    assert list(pack_targets("t", "198.51.100.1", [])) == []


def test_a_message_round_trips_through_its_body_with_contract_style_names():
    (message,) = pack_targets("trigger-1", "198.51.100.1", targets(2))

    body = message.to_body()

    assert '"triggerId":"trigger-1"' in body
    assert '"deliveryId":"d0"' in body
    assert '"attemptsMade":0' in body
    assert "lastError" not in body
    assert DeliveryMessage.from_body(body) == message


@pytest.mark.parametrize(
    "body",
    [
        "",
        "{}",
        '{"triggerId": "t", "ipAddress": "x", "targets": []}',
        '{"triggerId": "t", "ipAddress": "x", "targets": [{"deliveryId": "d"}]}',
    ],
)
def test_malformed_bodies_are_refused(body):
    with pytest.raises(ValidationError):
        DeliveryMessage.from_body(body)


def test_batches_hold_at_most_ten_messages():
    messages = [OutgoingMessage(m) for m in pack_targets("t", "ip", targets(205))]

    batches = list(split_into_batches(messages))

    assert [len(batch) for batch in batches] == [10, 10, 1]


def test_batches_stay_under_sqs_size_limit_with_long_urls():
    # Longer than any valid target URL, so that ten full messages exceed 256 KiB.
    messages = [OutgoingMessage(m) for m in pack_targets("t", "ip", targets(100, 3000))]

    batches = list(split_into_batches(messages))

    assert sum(len(batch) for batch in batches) == 10
    for batch in batches:
        assert sum(len(o.message.to_body().encode()) for o in batch) <= 256 * 1024
    assert len(batches) > 1
