"""Alerts: events written with their cause (the outbox), fanned out to subscriptions, and delivered
as signed webhooks or kept for the daily digest.

- ``outbox``: the flush hook that writes an ``Event`` in the transaction of the change causing it;
- ``fanout``: which subscriptions an event concerns, and the body each one gets;
- ``delivery``: one webhook POST, its log entry, backoff and disabling after repeated failure;
- ``dispatcher``: the loop (a thread in each server process, or ``broker alerts deliver``);
- ``signing``, ``ssrf``, ``backoff``: the signature, the target check and the retry schedule;
- ``digest``: the daily digest as text or HTML.
"""
