"""JDE's CYYDDD dates and HHMMSS times, exact at leap years and at year and century boundaries."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from ml_connector_dagster.resources.jde import julian


@pytest.mark.parametrize(
    "number, day",
    [
        (99365, date(1999, 12, 31)),
        (100001, date(2000, 1, 1)),
        (100060, date(2000, 2, 29)),
        (100366, date(2000, 12, 31)),
        (200060, date(2100, 3, 1)),  # 2100 is not a leap year
        (126365, date(2026, 12, 31)),
        (126326, date(2026, 11, 22)),
        (98185, date(1998, 7, 4)),
    ],
)
def test_a_julian_date_reads_and_writes_the_same_day(number, day):
    assert julian.to_date(number) == day
    assert julian.from_date(day) == number


def test_zero_is_no_date():
    assert julian.to_date(0) is None and julian.to_date(None) is None
    assert julian.from_date(None) == 0
    assert julian.to_datetime(0, 120000, UTC) is None


@pytest.mark.parametrize("number", [126366, 200366, 126000])
def test_a_day_the_year_does_not_have_is_refused(number):
    with pytest.raises(ValueError, match="not a JDE date"):
        julian.to_date(number)


@pytest.mark.parametrize(
    "number, moment", [(0, time(0)), (500, time(0, 5)), (91530, time(9, 15, 30)), (235959, time(23, 59, 59))]
)
def test_times_lose_their_leading_zeros(number, moment):
    assert julian.to_time(number) == moment
    assert julian.from_time(moment) == number


def test_a_stamp_is_the_server_zones_local_time():
    chicago = ZoneInfo("America/Chicago")
    moment = datetime(2027, 1, 1, 3, 30, tzinfo=UTC)  # still 2026-12-31 in Chicago
    assert julian.from_datetime(moment, chicago) == (126365, 213000)
    assert julian.to_datetime(126365, 213000, chicago) == moment
