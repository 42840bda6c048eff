"""Splitting a dead-letter message for a replay: pure logic, no I/O."""

from webhook_fanout.dead_letter_replay import split_for_replay
from webhook_fanout.delivery_messages import DeliveryMessage, DeliveryTarget


def dead_message(*webhook_ids: str) -> DeliveryMessage:
    return DeliveryMessage(
        trigger_id="t1",
        ip_address="198.51.100.1",
        targets=tuple(
            DeliveryTarget(
                delivery_id=f"d-{webhook_id}",
                webhook_id=webhook_id,
                target_url=f"https://e.com/{webhook_id}",
                attempts_made=5,
                last_error="status 500",
            )
            for webhook_id in webhook_ids
        ),
    )


def test_replaying_all_resets_every_targets_attempts_and_keeps_its_delivery_id():
    replayed, left = split_for_replay(dead_message("a", "b"), webhook_id=None)

    assert left is None
    assert replayed is not None
    assert [(t.delivery_id, t.attempts_made, t.last_error) for t in replayed.targets] == [
        ("d-a", 0, None),
        ("d-b", 0, None),
    ]
    assert (replayed.trigger_id, replayed.ip_address) == ("t1", "198.51.100.1")


def test_replaying_one_webhook_leaves_the_others_untouched():
    message = dead_message("a", "b", "a", "c")

    replayed, left = split_for_replay(message, webhook_id="a")

    assert replayed is not None
    assert left is not None
    assert [t.webhook_id for t in replayed.targets] == ["a", "a"]
    assert list(left.targets) == [message.targets[1], message.targets[3]]


def test_a_message_without_the_webhook_has_nothing_to_replay():
    message = dead_message("b")

    replayed, left = split_for_replay(message, webhook_id="a")

    assert replayed is None
    assert left == message
