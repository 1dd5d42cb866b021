"""JDE's date and time numbers (erp_sources.md §3.4): a date is CYYDDD, (year − 1900) × 1000 + day of year, so
2000-01-01 is 100001 and 1999-12-31 is 99365; zero means no date. A time of day is HHMMSS as a number, so leading
zeros vanish (00:05:00 is 500). UPMJ/UPMT carry no zone: they are the AIS/database server's local time."""

from datetime import date, datetime, time, timedelta, tzinfo


def to_date(value: int | None) -> date | None:
    """The date of a CYYDDD number; None for zero or blank (no date)."""
    if not value:
        return None
    year, day = divmod(int(value), 1000)
    if not 1 <= day <= 366:
        raise ValueError(f"{value} is not a JDE date (CYYDDD): day of year {day}")
    moment = date(1900 + year, 1, 1) + timedelta(days=day - 1)
    if moment.year != 1900 + year:
        raise ValueError(f"{value} is not a JDE date (CYYDDD): {1900 + year} has no day {day}")
    return moment


def from_date(value: date | None) -> int:
    """CYYDDD of a date; 0 for none."""
    if value is None:
        return 0
    return (value.year - 1900) * 1000 + value.timetuple().tm_yday


def to_time(value: int | None) -> time:
    """The time of day of an HHMMSS number (0 or blank is midnight)."""
    hours, rest = divmod(int(value or 0), 10000)
    minutes, seconds = divmod(rest, 100)
    return time(hours, minutes, seconds)


def from_time(value: time) -> int:
    return value.hour * 10000 + value.minute * 100 + value.second


def to_datetime(upmj: int | None, upmt: int | None, zone: tzinfo) -> datetime | None:
    """The moment a (UPMJ, UPMT) pair stamps, in the server's zone; None where UPMJ holds no date."""
    day = to_date(upmj)
    return None if day is None else datetime.combine(day, to_time(upmt), tzinfo=zone)


def from_datetime(moment: datetime, zone: tzinfo) -> tuple[int, int]:
    """(UPMJ, UPMT) of a moment as the server's clock in `zone` shows it."""
    local = moment.astimezone(zone)
    return from_date(local.date()), from_time(local.time())
