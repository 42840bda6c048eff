"""Registering and changing webhooks: the rules that hold whichever API calls them."""

import uuid

from webhook_fanout.errors import TargetUrlRejected
from webhook_fanout.models import RegisteredWebhook, RegisterWebhookRequest, RotatedSecret, Webhook
from webhook_fanout.signing import new_signing_secret
from webhook_fanout.url_guard import check_target_address
from webhook_fanout.webhook_store import WebhookStore

# How long deliveries keep a signature made with the secret a rotation replaced, so that
# receivers have a day to switch to the new one.
PREVIOUS_SECRET_VALID_SECONDS = 24 * 60 * 60


def register_webhook(
    store: WebhookStore, request: RegisterWebhookRequest, *, allow_private_targets: bool
) -> RegisteredWebhook:
    check_target_address(request.target_url, allow_private=allow_private_targets)
    webhook_id = request.webhook_id or str(uuid.uuid4())
    secret = new_signing_secret()
    webhook = store.create(webhook_id, request.target_url, secret)
    return RegisteredWebhook(**webhook.model_dump(), secret=secret)


def rotate_signing_secret(store: WebhookStore, webhook_id: str) -> RotatedSecret:
    secret = new_signing_secret()
    expires_at = store.rotate_signing_secret(webhook_id, secret, PREVIOUS_SECRET_VALID_SECONDS)
    return RotatedSecret(
        webhook_id=webhook_id,
        secret=secret,
        previous_secret_expires_at=expires_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
    )


def change_target_url(
    store: WebhookStore, webhook_id: str, new_target_url: str, *, allow_private_targets: bool
) -> Webhook:
    try:
        check_target_address(new_target_url, allow_private=allow_private_targets)
    except TargetUrlRejected as error:
        raise TargetUrlRejected(str(error), location="body.newTargetUrl") from None
    return store.update_target_url(webhook_id, new_target_url)
