"""SAP ECC stamps change documents on its own clock (CDHDR-UDATE/UTIME, the server's local date and time) while a
partition is a UTC day: an edit late in a New York server's day belongs to the next UTC day and is read there, and
one the overlap reads twice is written once. Over SAP Gateway and over RFC."""

from datetime import UTC, datetime

import pytest

from ml_connector_dagster.sandbox.sap_ecc import rfc
from tests.e2e.conftest import SAP_JOB, load_metadata

NEW_YORK = "America/New_York"
ACCOUNTS = "dynamics_sales/sap_ecc_accounts"
DAY, NEXT_DAY = "2026-10-02", "2026-10-03"
TRANSPORTS = {
    "odata": lambda env: {},
    "rfc": lambda env: {"transport": "rfc", "ashost": env.sap.rfc_host, "rfc_module": rfc.__name__},
}


def in_new_york(env, transport: str):
    env.sap.update_settings({"server_time_zone": NEW_YORK})
    return env.with_resources(sap_ecc={"server_time_zone": NEW_YORK, **TRANSPORTS[transport](env)})


def a_vendor_account(env) -> tuple[dict, str]:
    account = next(r for r in env.dataverse.rows("account") if r["mlc_externalid"].startswith("sap_ecc.vendor."))
    return account, account["mlc_externalid"].rsplit(".", 1)[1].zfill(10)


def rename_at(env, moment: datetime, lifnr: str, name: str) -> dict:
    env.sap.clock.freeze(moment)
    env.sap.update_row("LFA1", {"LIFNR": lifnr}, {"NAME1": name})
    return next(c for c in reversed(env.sap.rows("CDHDR", OBJECTCLAS="KRED")) if c["OBJECTID"] == lifnr)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_rename_late_in_the_servers_day_is_read_by_the_next_utc_day(env, transport):
    ny = in_new_york(env, transport)
    ny.run_all(SAP_JOB)  # the scheduled run of DAY happened at 02:00 UTC the day after
    account, lifnr = a_vendor_account(ny)
    # 23:30 in New York on DAY is 03:30 UTC on NEXT_DAY, after DAY's run
    change = rename_at(ny, datetime(2026, 10, 3, 3, 30, tzinfo=UTC), lifnr, "Spät Umbenannt GmbH")
    assert (change["UDATE"], change["UTIME"]) == ("20261002", "233000"), "stamped on the server's clock"
    metadata = load_metadata(ny.run(NEXT_DAY, job=SAP_JOB))
    assert metadata["sap_ecc/change_documents"]["changed_kred"] == 1
    [renamed] = ny.dataverse.rows("account", mlc_externalid=account["mlc_externalid"])
    assert renamed["name"] == "Spät Umbenannt GmbH"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_change_the_overlap_reads_twice_is_written_once(env, transport):
    ny = in_new_york(env, transport)
    ny.run_all(SAP_JOB)
    account, lifnr = a_vendor_account(ny)
    # 23:50 UTC on DAY: in DAY's window and in the overlap NEXT_DAY's run reads back
    rename_at(ny, datetime(2026, 10, 2, 23, 50, tzinfo=UTC), lifnr, "Um Mitternacht GmbH")
    runs = [ny.run(day, job=SAP_JOB) for day in (DAY, NEXT_DAY)]
    assert [load_metadata(r)["sap_ecc/change_documents"]["changed_kred"] for r in runs] == [1, 1]
    actions = [
        row["action"]
        for run in runs
        for row in ny.ledger.audit(run_id=run.run_id, source_key=account["mlc_externalid"])
    ]
    assert actions == ["updated", "unchanged"]
    assert load_metadata(runs[1])[ACCOUNTS]["write_calls"] == 0
