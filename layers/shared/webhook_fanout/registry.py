"""Registering and changing webhooks: the rules that hold whichever API calls them."""

import uuid

from webhook_fanout.models import RegisterWebhookRequest, Webhook
from webhook_fanout.url_guard import check_target_address
from webhook_fanout.webhook_store import WebhookStore


def register_webhook(
    store: WebhookStore, request: RegisterWebhookRequest, *, allow_private_targets: bool
) -> Webhook:
    check_target_address(request.target_url, allow_private=allow_private_targets)
    webhook_id = request.webhook_id or str(uuid.uuid4())
    return store.create(webhook_id, request.target_url)


def change_target_url(
    store: WebhookStore, webhook_id: str, new_target_url: str, *, allow_private_targets: bool
) -> Webhook:
    check_target_address(new_target_url, allow_private=allow_private_targets)
    return store.update_target_url(webhook_id, new_target_url)
