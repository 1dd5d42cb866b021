"""What the receiver keeps of one delivery: the source's deduplication key and the payload, as sent; and the types
every source's envelope model is made of, checked strictly (a number is not a string of digits, nor a boolean)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError


def _int64(text: str) -> str:
    if not -(2**63) <= int(text) <= 2**63 - 1:
        raise ValueError("must be within the range of a 64-bit integer")
    return text


def _date_time(text: str) -> str:
    """ISO 8601 date and time of day (a date alone is not a moment), a real one: 2026-02-31 is refused, and so is a
    moment whose UTC day, the partition it names, falls outside the years 1 to 9999."""
    try:
        if "T" in text.upper():
            moment = datetime.fromisoformat(text)
            if moment.tzinfo:
                moment.astimezone(UTC)
            return text
    except (ValueError, OverflowError):
        pass
    # Python's own message quotes the value, which may be long: the sender is told the field, not its value back.
    raise ValueError("must be an ISO 8601 date-time (date and time of day) that exists")


INT32 = Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)]
INT64 = Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]
# An int64 written as a string of decimal digits, as Zoho sends its record and channel ids and Procore's payload v4
# every id.
INT64_TEXT = Annotated[StrictStr, Field(pattern=r"^-?[0-9]{1,19}$"), AfterValidator(_int64)]
ISO_DATE_TIME = Annotated[StrictStr, AfterValidator(_date_time)]


class Envelope(BaseModel):
    """A source's envelope: the fields it documents, checked strictly; any other field is the vendor's to add and is
    kept as sent."""

    model_config = ConfigDict(extra="allow", strict=True)


M = TypeVar("M", bound=Envelope)


class BadEvent(ValueError):
    """A well-formed body that is not an event of its source: the sender gets 422 with this message."""


@dataclass(frozen=True)
class Event:
    dedup_key: str
    payload: dict


def validated(model: type[M], body: object, what: str) -> M:
    """The body as `model`, or BadEvent naming each field that is wrong and why (never the value: a body may be
    large, and a field may hold a credential)."""
    if not isinstance(body, dict):
        raise BadEvent(f"{what} is one JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()]
        raise BadEvent(f"not {what}: {'; '.join(problems)}") from None
