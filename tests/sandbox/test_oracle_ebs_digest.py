"""GET_WINDOW_DIGEST answers for the rows the window read returns, whatever the method, the window or the page size,
and changes when a row of the window does."""

import zlib
from datetime import UTC, datetime, timedelta

import pytest

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.sandbox.oracle_ebs.digest import EXTRA, KEYS
from tests.sandbox.test_oracle_ebs_emulator import resource

START = datetime(2026, 10, 1, tzinfo=UTC)


def hashed(method: str, rows: list[dict]) -> str:
    columns = (KEYS[method], "LAST_UPDATE_DATE", *EXTRA.get(method, ()))
    return f"{len(rows)}:{sum(zlib.crc32('|'.join(row.get(c) or '' for c in columns).encode()) for row in rows)}"


@pytest.mark.parametrize("method", sorted(KEYS))
@pytest.mark.parametrize("days", [1, 3])
def test_the_digest_is_of_the_rows_the_window_read_returns(ebs, method, days):
    _, url = ebs
    end = START + timedelta(days=days)
    with resource(url, page_size=7).open() as service:
        rows = list(service.read_window(method, START, end))
        assert service.window_digest(method, START, end) == hashed(method, rows)


def test_a_row_edited_into_the_window_changes_its_digest_and_no_other(ebs):
    emulator, url = ebs
    day, next_day = START + timedelta(days=1), START + timedelta(days=2)
    with resource(url).open() as service:
        before = {method: service.window_digest(method, START, day) for method in ("GET_PARTIES", "GET_VENDORS")}
        organizations = emulator.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION")
        party = next(row for row in organizations if row["LAST_UPDATE_DATE"][:10] == "2026-10-01")
        emulator.clock.freeze(START + timedelta(hours=9))
        emulator.update_row("HZ_PARTIES", party["PARTY_ID"], {"PARTY_NAME": "Renamed the same day"})
        emulator.clock.freeze(next_day + timedelta(hours=12))
        assert service.window_digest("GET_PARTIES", START, day) != before["GET_PARTIES"]
        assert service.window_digest("GET_VENDORS", START, day) == before["GET_VENDORS"]


def test_a_method_without_a_window_is_refused(ebs):
    _, url = ebs
    with resource(url).open() as service, pytest.raises(ApiError, match="P_METHOD"):
        service.window_digest("GET_PO_DISTRIBUTIONS", START, START + timedelta(days=1))
