"""Outbound webhooks: the transactional outbox and its delivery worker."""
