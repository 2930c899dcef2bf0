"""Kept so existing imports work: the principal lives in :mod:`broker.auth`."""

from broker.auth import Principal

__all__ = ["Principal"]
