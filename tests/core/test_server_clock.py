"""A UTC partition window on a server clock without zones (EBS, JDE, SAP): which server days it touches, which stamps
fall inside it, and a zone setting that is not a zone is refused when the resource is configured."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from ml_connector_dagster.resources.jde import JdeResource
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource
from ml_connector_dagster.resources.sap_ecc import SapEccResource
from pydantic import ValidationError

from ml_connector_dagster.server_clock import server_days, stamped_within

DAY = (datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 10, 4, tzinfo=UTC))


@pytest.mark.parametrize(
    "zone,days",
    [
        ("UTC", [date(2026, 10, 3)]),
        ("America/New_York", [date(2026, 10, 2), date(2026, 10, 3)]),
        ("Asia/Tokyo", [date(2026, 10, 3), date(2026, 10, 4)]),
    ],
)
def test_a_utc_day_touches_the_server_days_its_zone_puts_it_on(zone, days):
    assert server_days(*DAY, ZoneInfo(zone)) == days


def test_a_stamp_late_in_the_servers_day_falls_in_the_next_utc_day():
    new_york = ZoneInfo("America/New_York")
    assert stamped_within(date(2026, 10, 2), time(23, 30), new_york, *DAY)
    assert not stamped_within(date(2026, 10, 2), time(19, 59, 59), new_york, *DAY)
    assert not stamped_within(date(2026, 10, 3), time(20, 0), new_york, *DAY), "the window's end is not in it"


@pytest.mark.parametrize(
    "resource,settings",
    [
        (SapEccResource, {"base_url": "https://sap.example.com", "username": "u", "password": "p"}),
        (
            JdeResource,
            {"ais_url": "https://ais.example.com", "username": "u", "password": "p", "environment": "JDV920"},
        ),
        (OracleEbsResource, {"base_url": "https://ebs.example.com", "username": "u", "password": "p"}),
    ],
)
def test_a_server_zone_that_is_not_an_iana_zone_is_refused(resource, settings):
    field = "server_timezone" if resource is OracleEbsResource else "server_time_zone"
    assert getattr(resource(**settings, **{field: "America/New_York"}), field) == "America/New_York"
    with pytest.raises(ValidationError, match="unknown time zone 'EST5'"):
        resource(**settings, **{field: "EST5"})
