"""Time-ordered identifiers for rows the app creates."""

from uuid_utils.compat import uuid7

__all__ = ["uuid7"]
