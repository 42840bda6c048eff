"""Shared code of the webhook fan-out functions: models, storage, queues, delivery."""
