"""Starting the delivery worker from settings: in the API process or on its own."""

from __future__ import annotations

from accident_online.kit.db import Database
from accident_online.settings import Settings
from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings


def delivery_worker(database: Database, settings: Settings) -> DeliveryWorker:
    return DeliveryWorker(
        database,
        WorkerSettings(
            retry_schedule=settings.webhook_retry_schedule,
            timeout_seconds=settings.webhook_timeout_seconds,
            allow_private_targets=settings.allow_private_webhook_targets,
            batch_size=settings.webhook_batch_size,
            senders=settings.webhook_senders,
            per_endpoint=settings.webhook_per_endpoint,
        ),
    )
