"""Data service reads: next-page links followed to the end, change windows cut to the second by UPMT, date
literals in the format the server accepts, a result set AIS closed between pages named as such, and an address-book
page's tables read side by side."""

from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from ml_connector_dagster.assets.jde.extracts import entries_of

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.sandbox.faults import FaultPlan, FaultSettings

START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 4, tzinfo=UTC)


def stamp(row: dict, zone=UTC) -> datetime:
    time = row["UPMT"]
    return datetime(
        row["UPMJ"].year, row["UPMJ"].month, row["UPMJ"].day, time // 10000, time // 100 % 100, time % 100, tzinfo=zone
    )


def test_pages_are_followed_by_their_next_links_until_no_more_rows(jde):
    emulator, resource = jde
    with ExitStack() as stack:
        client = resource(page_size=7).connect(stack)
        rows = list(client.changed_between("F0101", ["AN8", "ALPH", "AT1"], START, END))
        pages = client.counter.calls["POST (read)"] - 1  # the sign-in, then the pages
    assert len(rows) == 36 and len({row["AN8"] for row in rows}) == 36
    assert pages == 6  # 7 + 7 + 7 + 7 + 7 + 1
    assert {row["AT1"] for row in rows} == {"C", "V"}


def test_a_window_holds_the_rows_stamped_in_it_to_the_second(jde):
    emulator, resource = jde
    every = sorted(emulator.rows("F0101"), key=lambda row: (row["UPMJ"], row["UPMT"]))
    recent = [row for row in every if row["UPMJ"] >= 126274]
    middle = recent[len(recent) // 2]
    cut = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=middle["UPMJ"] % 1000 - 1)
    cut += timedelta(hours=middle["UPMT"] // 10000, minutes=middle["UPMT"] // 100 % 100, seconds=middle["UPMT"] % 100)
    with ExitStack() as stack:
        client = resource().connect(stack)
        before = list(client.changed_between("F0101", ["AN8"], START, cut))
        after = list(client.changed_between("F0101", ["AN8"], cut, END))
    assert all(START <= stamp(row) < cut for row in before)
    assert all(cut <= stamp(row) < END for row in after)
    assert middle["AN8"] in {row["AN8"] for row in after}
    assert len(before) + len(after) == len(recent), "dormant rows are in neither, every other row in one"


def test_the_server_time_zone_places_the_window(jde):
    emulator, resource = jde
    chicago = ZoneInfo("America/Chicago")
    start = datetime(2026, 10, 2, tzinfo=chicago)
    with ExitStack() as stack:
        rows = list(
            resource(server_time_zone="America/Chicago")
            .connect(stack)
            .changed_between("F0101", ["AN8"], start, start + timedelta(days=1))
        )
    assert rows and all(row["UPMJ"] == date(2026, 10, 2) for row in rows)


@pytest.mark.parametrize("mode", ["user", "julian", "yyyyMMdd"])
@pytest.mark.parametrize("rendered", ["yyyyMMdd", "julian", "user"])
def test_dates_are_written_and_read_in_each_format_the_server_uses(jde, mode, rendered):
    emulator, resource = jde
    emulator.update_settings({"date_literal": mode, "date_format": rendered})
    with ExitStack() as stack:
        rows = list(resource(date_literal=mode).connect(stack).changed_between("F0116", ["AN8", "EFTB"], START, END))
    assert len(rows) == 36
    assert {row["EFTB"] for row in rows} == {date(2024, 1, 1)}


def test_a_date_literal_the_server_does_not_accept_is_a_clear_error(jde):
    emulator, resource = jde
    emulator.update_settings({"date_literal": "julian"})
    with ExitStack() as stack, pytest.raises(ApiError, match=r"Invalid date value '10/01/2026'.*CYYDDD"):
        list(resource(date_literal="user").connect(stack).changed_between("F0101", ["AN8"], START, END))


def test_a_result_set_closed_between_pages_fails_the_read_and_says_to_rerun_it(jde):
    emulator, resource = jde
    emulator.faults.configure(
        FaultSettings(plans=[FaultPlan(path_contains="dataservice/next", advance_clock_seconds=61)])
    )
    with ExitStack() as stack, pytest.raises(ApiError, match="resultSetTimeout.*rerun"):
        list(resource(page_size=10).connect(stack).changed_between("F0101", ["AN8"], START, END))


def test_rows_by_key_and_keyset_pages(jde):
    emulator, resource = jde
    with ExitStack() as stack:
        client = resource().connect(stack)
        contacts = list(client.by_keys("F0111", ["AN8", "IDLN", "MLNM"], "AN8", [4001, 4002, 4001]))
        page = client.after_key("F0101", ["ALPH"], "AN8", 4010, 5)
    assert {row["AN8"] for row in contacts} == {4001, 4002}
    assert len(contacts) == len(emulator.rows("F0111", AN8=4001)) + len(emulator.rows("F0111", AN8=4002))
    assert [row["AN8"] for row in page] == [4011, 4012, 4013, 4014, 4015]


def test_an_address_book_pages_tables_are_read_side_by_side_up_to_the_setting_and_never_more(jde):
    emulator, resource = jde
    numbers = [row["AN8"] for row in emulator.rows("F0101")]
    with ExitStack() as stack:
        client = resource(max_concurrent_reads=3).connect(stack)
        one_at_a_time = entries_of(client, numbers)
        emulator.faults.latency_ms = 50  # calls take long enough to overlap
        side_by_side = entries_of(client, numbers, client.concurrent_reads)
    # six tables, each a read (40 address numbers, one LIST), three at once: as read one at a time, row for row
    assert side_by_side == one_at_a_time and len(side_by_side["F0101"]) == 40
    assert 2 <= emulator.peak_requests_in_flight <= 3
