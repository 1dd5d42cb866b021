"""What the receiver keeps of one delivery: the source's deduplication key and the payload, as sent."""

from dataclasses import dataclass


class BadEvent(ValueError):
    """A well-formed body that is not an event of its source: the sender gets 422 with this message."""


@dataclass(frozen=True)
class Event:
    dedup_key: str
    payload: dict
