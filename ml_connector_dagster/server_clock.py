"""The clock of a source server whose change stamps carry no zone: EBS `LAST_UPDATE_DATE`, JDE `UPMJ`/`UPMT`, SAP
`CDHDR-UDATE`/`UTIME` (and the DATS creation dates `ERDAT`/`AEDAT`) are the server's local date and time. A partition
is a UTC window, so a read turns the window into the server's days and keeps the stamps that fall inside it: an edit
late in the server's day (23:30 in New York is 04:30 UTC the next day) belongs to the UTC day it happened in."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as America/New_York)") from None
    return value


# A resource's setting of its server's zone: an IANA name, checked when the resource is configured.
ServerTimeZone = Annotated[str, AfterValidator(_known_zone)]


def server_days(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    """The server's calendar days that [start, end) touches, first to last (none for an empty window). A source
    filtering by day reads these; the stamps are cut to the window afterwards (`stamped_within`)."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(seconds=1)).astimezone(zone).date()  # stamps count whole seconds
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def stamped_within(day: date, clock: time, zone: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether a stamp of the server's local `day` and `clock` falls in [start, end). In the hour a daylight-saving
    change repeats, the first of the two readings is taken (fold 0): a guess, as the stamp cannot say which."""
    return start <= datetime.combine(day, clock, zone).astimezone(UTC) < end
