"""Notifications: the transactional outbox, the channels (template message, subscribe message, SMS),
and the delivery task."""
