"""The EBS emulator's general ledger and purchasing side over real HTTP, through the `oracle_ebs` resource: code
combinations, purchase orders and their distributions, and POST_JOURNALS / GET_JOURNALS as Journal Import does them."""

import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.oracle_ebs import OracleEbsEmulator, chart, schema, seed_purchasing
from ml_connector_dagster.sandbox.oracle_ebs.seed import SeedSize, seed
from ml_connector_dagster.sandbox.server import SandboxServer

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = [START + timedelta(days=n) for n in range(5)]
NOW = datetime(2026, 10, 20, 9, tzinfo=UTC)
JOB_COST = ("01", "1100", "5300", "03")  # Harbor Point Tower, Concrete


def emulator(tmp_path=None, **settings) -> OracleEbsEmulator:
    built = OracleEbsEmulator(
        clock=Clock(frozen_at=NOW), state_dir=tmp_path, parties=60, vendors=60, start_date=START.date(), days=4
    )
    built.update_settings(settings)
    return built


@pytest.fixture(scope="module")
def ebs():
    """One emulator the read tests share; tests that write use their own."""
    built = emulator()
    with SandboxServer([built]) as server:
        yield built, server.url("oracle_ebs")


@pytest.fixture
def fresh(tmp_path):
    built = emulator(tmp_path)
    with SandboxServer([built]) as server:
        yield built, server.url("oracle_ebs")


def resource(url: str, **overrides) -> OracleEbsResource:
    return OracleEbsResource(
        **{
            "base_url": url,
            "username": SANDBOX.ebs_user,
            "password": SANDBOX.ebs_password,
            "max_retry_wait_seconds": 1,
            **overrides,
        }
    )


def segments(combination) -> dict:
    return {f"SEGMENT{n}": value for n, value in enumerate(combination, start=1)}


def journal(reference: str, *amounts: tuple[tuple, str | None, str | None], **fields) -> dict:
    """A P_JOURNALS item: lines as (segments or a CODE_COMBINATION_ID, debit, credit)."""
    lines = [
        {
            **(segments(account) if isinstance(account, tuple) else {"CODE_COMBINATION_ID": account}),
            **({"ENTERED_DR": dr} if dr else {}),
            **({"ENTERED_CR": cr} if cr else {}),
            "DESCRIPTION": "work completed this period",
        }
        for account, dr, cr in amounts
    ]
    return {
        "REFERENCE": reference,
        "USER_JE_SOURCE_NAME": chart.JOURNAL_SOURCE,
        "USER_JE_CATEGORY_NAME": chart.REQUISITION_CATEGORY,
        "ACCOUNTING_DATE": "2026-10-15",
        "CURRENCY_CODE": "USD",
        "JOURNAL_NAME": f"Requisition {reference}",
        "JOURNAL_DESCRIPTION": "Harbor Point Tower requisition",
        "LINES": {"LINES_ITEM": lines},
        **fields,
    }


def balanced(reference: str, amount: str = "1250.50", account=JOB_COST, **fields) -> dict:
    return journal(reference, (account, amount, None), (chart.ACCRUAL, None, amount), **fields)


def ids(rows: list[dict], key: str) -> list[str]:
    return [row[key] for row in rows]


# code combinations ----------------------------------------------------------------------------------------------
def test_code_combinations_by_day_by_id_and_after_an_id_with_their_segment_descriptions(ebs):
    emulator, url = ebs
    every = sorted(row["CODE_COMBINATION_ID"] for row in emulator.rows("GL_CODE_COMBINATIONS"))
    with resource(url, page_size=7).open() as service:
        window = list(service.read_window("GET_CODE_COMBINATIONS", DAYS[0], DAYS[4], P_LEDGER_ID="2041"))
        by_day = [
            row
            for start, end in zip(DAYS, DAYS[1:], strict=False)
            for row in service.read_window("GET_CODE_COMBINATIONS", start, end)
            if start <= datetime.fromisoformat(row["LAST_UPDATE_DATE"]).replace(tzinfo=UTC) < end
        ]
        read, after, more = [], "0", True
        while more:
            rows, more = service.rows_after("GET_CODE_COMBINATIONS", "P_AFTER_CCID", after, 10, P_LEDGER_ID="2041")
            read += [int(row["CODE_COMBINATION_ID"]) for row in rows]
            after = rows[-1]["CODE_COMBINATION_ID"]
        [accrual] = service.read_keys("GET_CODE_COMBINATIONS", "13037,999999", ids_param="P_CCIDS")
        with pytest.raises(ApiError, match="not a ledger"):
            list(service.read_window("GET_CODE_COMBINATIONS", DAYS[0], DAYS[1], P_LEDGER_ID="1"))
    assert read == every, "the keyset reads every combination, whatever its change stamp"
    assert 0 < len(window) < len(every), "most of the chart predates the seeded days"
    ending = [row for row in window if row["END_DATE_ACTIVE"]]
    assert ending and all(row["LAST_UPDATE_DATE"] < "2026-10-01" for row in ending), "read on the day it ends"
    assert ids([row for row in window if not row["END_DATE_ACTIVE"]], "CODE_COMBINATION_ID") == ids(
        by_day, "CODE_COMBINATION_ID"
    )
    assert accrual["CONCATENATED_SEGMENTS"] == "01-1000-2110-00" and accrual["ACCOUNT_TYPE"] == "L"
    assert (accrual["SEGMENT1_DESC"], accrual["SEGMENT2_DESC"], accrual["SEGMENT3_DESC"]) == (
        "Vision Construction US",
        "Corporate",
        "Accrued Job Costs",
    )
    assert accrual["SEGMENT4_DESC"] == "No Division" and accrual["SEGMENT5"] is None
    assert all(isinstance(v, str) or v is None for row in window for v in row.values())


def test_a_description_edit_moves_its_combinations_and_a_new_combination_into_todays_window(fresh):
    emulator, url = fresh
    [value] = emulator.rows("FND_FLEX_VALUES_VL", FLEX_VALUE_SET_ID=1015002, FLEX_VALUE="1300")
    emulator.update_row("FND_FLEX_VALUES_VL", str(value["FLEX_VALUE_ID"]), {"DESCRIPTION": "Depot Yard Phase 2"})
    created = emulator.insert_row(
        "GL_CODE_COMBINATIONS", {"SEGMENT1": "01", "SEGMENT2": "1100", "SEGMENT3": "5120", "SEGMENT4": "01"}
    )
    today = NOW.replace(hour=0), NOW.replace(hour=0) + timedelta(days=1)
    with resource(url).open() as service:
        rows = list(service.read_window("GET_CODE_COMBINATIONS", *today))
        [new] = service.read_keys("GET_CODE_COMBINATIONS", str(created["CODE_COMBINATION_ID"]), ids_param="P_CCIDS")
    depot = [row for row in rows if row["SEGMENT2"] == "1300"]
    assert len(depot) == len(emulator.rows("GL_CODE_COMBINATIONS", SEGMENT2="1300"))
    assert {row["SEGMENT2_DESC"] for row in depot} == {"Depot Yard Phase 2"}
    assert new in rows and new["ENABLED_FLAG"] == "Y" and new["DETAIL_POSTING_ALLOWED_FLAG"] == "Y"
    assert new["ACCOUNT_TYPE"] == "E" and new["CHART_OF_ACCOUNTS_ID"] == str(chart.CHART_ID)


# purchase orders ------------------------------------------------------------------------------------------------
def test_the_seed_has_the_purchase_orders_and_the_chart_the_procore_pair_needs(ebs):
    emulator, _ = ebs
    orders = emulator.rows("PO_HEADERS_ALL")
    recent = [row for row in orders if row["LAST_UPDATE_DATE"] >= "2026-10-01"]
    assert (len(recent), len(orders)) == (seed_purchasing.PURCHASE_ORDERS, seed_purchasing.PURCHASE_ORDERS + 6)
    assert {row["TYPE_LOOKUP_CODE"] for row in orders} == {"STANDARD"}
    assert {row["LAST_UPDATE_DATE"][:10] for row in recent} == {day.date().isoformat() for day in DAYS[:4]}
    statuses = [row["AUTHORIZATION_STATUS"] for row in orders]
    assert statuses.count("INCOMPLETE") == 7 and statuses.count("APPROVED") == 39
    assert [row["CANCEL_FLAG"] for row in orders].count("Y") == 1
    assert [row["CLOSED_CODE"] for row in orders].count("CLOSED") == 1
    assert {row["ORG_ID"] for row in orders} == {204, 458}
    vendors = {row["VENDOR_ID"] for row in emulator.rows("AP_SUPPLIERS", ENABLED_FLAG="Y")}
    assert {row["VENDOR_ID"] for row in orders} <= vendors
    charged = {row["CODE_COMBINATION_ID"] for row in emulator.rows("PO_DISTRIBUTIONS_ALL")}
    combinations = {row["CODE_COMBINATION_ID"]: row for row in emulator.rows("GL_CODE_COMBINATIONS")}
    assert {combinations[ccid]["SEGMENT2"] for ccid in charged} == set(chart.PROJECTS)
    assert all(combinations[ccid]["ENABLED_FLAG"] == "Y" for ccid in charged)
    assert any(row["ENABLED_FLAG"] == "N" for row in combinations.values())
    assert [row["PERIOD_NAME"] for row in emulator.rows("GL_PERIOD_STATUSES", CLOSING_STATUS="O")] == [
        "OCT-26",
        "NOV-26",
        "DEC-26",
    ]
    [source] = emulator.rows("GL_JE_SOURCES_TL", USER_JE_SOURCE_NAME=chart.JOURNAL_SOURCE)
    assert source["JOURNAL_REFERENCE_FLAG"] == "Y"


def test_purchase_orders_by_day_and_by_id_with_their_distributions_in_the_request_operating_unit(ebs):
    emulator, url = ebs
    with resource(url, page_size=9).open() as service, resource(url, org_id="ALL").open() as every_unit:
        window = list(service.read_window("GET_PURCHASE_ORDERS", DAYS[0], DAYS[4]))
        by_day = [
            row
            for s, e in zip(DAYS, DAYS[1:], strict=False)
            for row in service.read_window("GET_PURCHASE_ORDERS", s, e)
        ]
        everywhere = list(every_unit.read_window("GET_PURCHASE_ORDERS", DAYS[0], DAYS[4]))
        go_live = list(every_unit.read_window("GET_PURCHASE_ORDERS", START - timedelta(days=400), START))
        headers = ",".join(ids(window[:3], "PO_HEADER_ID"))
        by_id = service.read_keys("GET_PURCHASE_ORDERS", headers, ids_param="P_PO_HEADER_IDS")
        distributions = service.read_keys("GET_PO_DISTRIBUTIONS", headers, ids_param="P_PO_HEADER_IDS")
        with pytest.raises(ApiError, match="P_PO_HEADER_IDS is required"):
            list(service.read_window("GET_PO_DISTRIBUTIONS", DAYS[0], DAYS[1]))
    assert ids(by_day, "PO_HEADER_ID") == ids(window, "PO_HEADER_ID") and len(window) == 39
    assert {row["ORG_ID"] for row in window} == {"204"} and len(everywhere) == 40 and len(go_live) == 6
    assert ids(by_id, "PO_HEADER_ID") == ids(window[:3], "PO_HEADER_ID")
    assert [(r["PO_HEADER_ID"], int(r["LINE_NUM"]), int(r["DISTRIBUTION_NUM"])) for r in distributions] == sorted(
        (r["PO_HEADER_ID"], int(r["LINE_NUM"]), int(r["DISTRIBUTION_NUM"])) for r in distributions
    )
    expected = sum(len(emulator.rows("PO_DISTRIBUTIONS_ALL", PO_HEADER_ID=int(h))) for h in headers.split(","))
    assert len(distributions) == expected and all(row["SEGMENT2"] in chart.PROJECTS for row in distributions)
    row = distributions[0]
    assert float(row["UNIT_PRICE"]) > 0 and row["QUANTITY_ORDERED"].isdigit() and row["LINE_CANCEL_FLAG"] == "N"


def test_a_purchase_order_whose_line_changes_is_read_in_that_days_window(fresh):
    emulator, url = fresh
    order = emulator.rows("PO_HEADERS_ALL", SEGMENT1="6010")[0]
    line = emulator.rows("PO_LINES_ALL", PO_HEADER_ID=order["PO_HEADER_ID"])[0]
    emulator.update_row("PO_LINES_ALL", str(line["PO_LINE_ID"]), {"UNIT_PRICE": 99.5})
    today = NOW.replace(hour=0), NOW.replace(hour=0) + timedelta(days=1)
    with resource(url).open() as service:
        [changed] = service.read_window("GET_PURCHASE_ORDERS", *today)
        [first] = [
            row
            for row in service.read_keys(
                "GET_PO_DISTRIBUTIONS", str(order["PO_HEADER_ID"]), ids_param="P_PO_HEADER_IDS"
            )
            if row["PO_LINE_ID"] == str(line["PO_LINE_ID"])
        ][:1]
    assert (
        changed["PO_HEADER_ID"] == str(order["PO_HEADER_ID"]) and changed["LAST_UPDATE_DATE"] == "2026-10-20T09:00:00"
    )
    assert first["UNIT_PRICE"] == "99.5" and first["LAST_UPDATE_DATE"] == "2026-10-20T09:00:00"


# journals ---------------------------------------------------------------------------------------------------------
def test_a_balanced_journal_is_imported_once_and_read_back_by_its_reference(fresh):
    emulator, url = fresh
    with resource(url).open() as service:
        [imported] = service.post_journals([balanced("procore:4262:req:1")])
        [again] = service.post_journals([balanced("procore:4262:req:1", amount="99.00")])
        found = service.read_journals(["procore:4262:req:1", "procore:4262:req:404"])
    assert imported["STATUS"] == "S" and imported["JE_HEADER_ID"] and imported["ERROR_CODE"] is None
    assert again["STATUS"] == "D" and again["JE_HEADER_ID"] == imported["JE_HEADER_ID"]
    [header] = emulator.rows("GL_JE_HEADERS")
    assert header["JE_SOURCE"] == chart.JOURNAL_SOURCE and header["JE_CATEGORY"] == chart.REQUISITION_CATEGORY
    assert (header["STATUS"], header["PERIOD_NAME"], header["EXTERNAL_REFERENCE"]) == (
        "U",
        "OCT-26",
        "procore:4262:req:1",
    )
    [batch] = emulator.rows("GL_JE_BATCHES")
    assert header["JE_BATCH_ID"] == batch["JE_BATCH_ID"] and batch["RUNNING_TOTAL_DR"] == 1250.5
    lines = emulator.rows("GL_JE_LINES", JE_HEADER_ID=header["JE_HEADER_ID"])
    assert [(line["ENTERED_DR"], line["ENTERED_CR"]) for line in lines] == [(1250.5, None), (None, 1250.5)]
    assert emulator.rows("GL_INTERFACE") == [], "Journal Import deletes what it imported"
    assert list(found) == ["procore:4262:req:1"]
    read = found["procore:4262:req:1"]
    assert (read["JE_HEADER_ID"], read["STATUS"], read["PERIOD_NAME"]) == (
        imported["JE_HEADER_ID"],
        "UNPOSTED",
        "OCT-26",
    )
    assert [(line["SEGMENT3"], line["ENTERED_DR"], line["ENTERED_CR"]) for line in read["LINES"]] == [
        ("5300", "1250.5", None),
        ("2110", None, "1250.5"),
    ]


def test_each_journal_is_refused_for_its_own_fault_with_journal_imports_code_and_its_rows_stay(fresh):
    emulator, url = fresh
    disabled = emulator.rows("GL_CODE_COMBINATIONS", ENABLED_FLAG="N")[0]["CODE_COMBINATION_ID"]
    ended = next(
        r for r in emulator.rows("GL_CODE_COMBINATIONS") if r["END_DATE_ACTIVE"] and r["END_DATE_ACTIVE"] < "2026-10"
    )
    no_posting = emulator.rows("GL_CODE_COMBINATIONS", DETAIL_POSTING_ALLOWED_FLAG="N")[0]["CODE_COMBINATION_ID"]
    journals = [
        balanced("ok:1"),
        journal("unbalanced", (JOB_COST, "100.00", None), (chart.ACCRUAL, None, "90.00")),
        balanced("closed-period", ACCOUNTING_DATE="2026-09-30"),
        balanced("never-opened", ACCOUNTING_DATE="2027-03-01"),
        balanced("no-such-segments", account=("01", "1100", "5300", "16")),
        balanced("no-such-ccid", account=999999),
        balanced("disabled", account=disabled),
        balanced("ended", account=ended["CODE_COMBINATION_ID"]),
        balanced("no-detail-posting", account=no_posting),
        balanced("unknown-source", USER_JE_SOURCE_NAME="Procore"),
        balanced("unknown-category", USER_JE_CATEGORY_NAME="Procore Invoice"),
        balanced("no-rate", CURRENCY_CODE="CAD"),
        balanced("not-a-date", ACCOUNTING_DATE="15/10/2026"),
        balanced("future-entry", ACCOUNTING_DATE="2027-01-10"),
    ]
    with resource(url).open() as service:
        results = {row["REFERENCE"]: row for row in service.post_journals(journals)}
        read = service.read_journals(results)
    codes = {reference: (row["STATUS"], row["ERROR_CODE"]) for reference, row in results.items()}
    assert codes == {
        "ok:1": ("S", None),
        "unbalanced": ("E", "EU02"),
        "closed-period": ("E", "EP01"),
        "never-opened": ("E", "EP01"),
        "no-such-segments": ("E", "EF04"),
        "no-such-ccid": ("E", "EF05"),
        "disabled": ("E", "EF03"),
        "ended": ("E", "EF01"),
        "no-detail-posting": ("E", "EF02"),
        "unknown-source": ("E", "EMLC_SOURCE"),
        "unknown-category": ("E", "EMLC_CATEGORY"),
        "no-rate": ("E", "EC06"),
        "not-a-date": ("E", "EMLC_INPUT"),
        "future-entry": ("S", None),
    }
    assert "SEP-26" in results["closed-period"]["MESSAGE"] and "Closed" in results["closed-period"]["MESSAGE"]
    assert len(emulator.rows("GL_JE_HEADERS")) == 2
    interface = emulator.rows("GL_INTERFACE")
    assert {row["STATUS"] for row in interface} == {code for status, code in codes.values() if status == "E"} - {
        "EMLC_INPUT"
    }, "refused journals stay in GL_INTERFACE, but input the package cannot read leaves no rows"
    assert {row["REFERENCE21"] for row in interface if row["STATUS"] == "EU02"} == {"unbalanced"}
    assert read["unbalanced"]["STATUS"] == "EU02" and read["unbalanced"]["JE_HEADER_ID"] is None
    assert "not-a-date" not in read and read["ok:1"]["STATUS"] == "UNPOSTED"


def test_a_refused_journal_posted_again_once_its_period_is_opened_replaces_its_refused_rows(fresh):
    emulator, url = fresh
    with resource(url).open() as service:
        [refused] = service.post_journals([balanced("late", ACCOUNTING_DATE="2026-09-30")])
        emulator.set_period_status("SEP-26", "O")
        [imported] = service.post_journals([balanced("late", ACCOUNTING_DATE="2026-09-30")])
        [read] = service.read_journals(["late"]).values()
    assert (refused["STATUS"], imported["STATUS"]) == ("E", "S")
    assert emulator.rows("GL_INTERFACE") == [] and read["PERIOD_NAME"] == "SEP-26"
    with pytest.raises(ValueError, match="CLOSING_STATUS"):
        emulator.set_period_status("SEP-26", "X")


def test_a_journal_in_another_currency_needs_a_corporate_rate_of_its_date(fresh):
    emulator, url = fresh
    emulator.insert_row(
        "GL_DAILY_RATES",
        {
            "FROM_CURRENCY": "CAD",
            "TO_CURRENCY": "USD",
            "CONVERSION_DATE": "2026-10-15 00:00:00",
            "CONVERSION_TYPE": "Corporate",
            "CONVERSION_RATE": 0.73,
        },
    )
    with resource(url).open() as service:
        [result] = service.post_journals([balanced("cad", amount="100.00", CURRENCY_CODE="CAD")])
    [header] = emulator.rows("GL_JE_HEADERS")
    assert result["STATUS"] == "S" and header["CURRENCY_CODE"] == "CAD"
    assert [line["ACCOUNTED_DR"] for line in emulator.rows("GL_JE_LINES")] == [73, None]


def test_journals_are_written_and_read_only_under_a_general_ledger_responsibility(fresh):
    emulator, url = fresh
    with resource(url, journal_responsibility="RECEIVABLES_MANAGER", journal_resp_application="AR").open() as service:
        with pytest.raises(ApiError, match="RECEIVABLES_MANAGER") as refused:
            service.post_journals([balanced("any")])
    assert refused.value.code == "X_RETURN_STATUS=E" and emulator.rows("GL_JE_HEADERS") == []
    with resource(url, journal_responsibility="RECEIVABLES_MANAGER", journal_resp_application="AR").open() as service:
        with pytest.raises(ApiError, match="GET_JOURNALS needs a General Ledger responsibility"):
            service.read_journals(["any"])


def test_the_call_itself_is_refused_for_no_ledger_no_journal_or_too_many(fresh):
    _, url = fresh
    with resource(url).open() as service:
        with pytest.raises(ApiError, match="not a ledger"):
            service.call(
                "POST_JOURNALS",
                {"P_LEDGER_ID": "1", "P_JOURNALS": {"P_JOURNALS_ITEM": [balanced("a")]}},
                service.journal_header,
            )
        with pytest.raises(ApiError, match="no journal"):
            service.call("POST_JOURNALS", {"P_LEDGER_ID": "2041"}, service.journal_header)
        with pytest.raises(ValueError, match="1 to 100"):
            service.post_journals([balanced(f"r{n}") for n in range(101)])
        with pytest.raises(ApiError, match="not both"):
            service.call(
                "GET_JOURNALS",
                {"P_REFERENCES": "a", "P_REFERENCE_PREFIXES": "a", "P_LIMIT": "5"},
                service.journal_header,
            )


def test_a_lost_answer_after_the_commit_is_answered_duplicate_when_posted_again(fresh):
    emulator, url = fresh
    emulator.update_settings({"lose_answer_after_commit": True})
    with resource(url).open() as service:
        # the http layer sends the call again once the connection drops: the package answers D
        [result] = service.post_journals([balanced("lost:1")])
    [header] = emulator.rows("GL_JE_HEADERS")
    assert result["STATUS"] == "D" and result["JE_HEADER_ID"] == str(header["JE_HEADER_ID"])
    assert emulator.settings.lose_answer_after_commit == 0


def test_journals_by_reference_prefix_page_by_page_and_one_item_tables(fresh):
    emulator, url = fresh
    with resource(url).open() as service:
        service.post_journals([balanced(f"procore:co:{n}") for n in range(5)] + [balanced("other:1")])
        output = service.call(
            "GET_JOURNALS",
            {"P_REFERENCE_PREFIXES": "procore:co:,nothing:", "P_LIMIT": "2", "P_OFFSET": "4"},
            service.journal_header,
        )
    assert output["X_HAS_MORE"] == "N" and output["X_ROWS"]["X_ROWS_ITEM"]["REFERENCE"] == "procore:co:4"
    answer = httpx.post(
        f"{url}/webservices/rest/xxmlc_sync/post_journals/",
        json={
            "InputParameters": {
                "P_LEDGER_ID": "2041",
                "P_JOURNALS": {
                    "P_JOURNALS_ITEM": {**balanced("single"), "LINES": {"LINES_ITEM": {"CODE_COMBINATION_ID": "1"}}}
                },
            },
            "RESTHeader": {"Responsibility": "GENERAL_LEDGER_SUPER_USER", "RespApplication": "SQLGL"},
        },
        auth=(SANDBOX.ebs_user, SANDBOX.ebs_password),
    ).json()["OutputParameters"]
    assert answer["X_RESULTS"]["X_RESULTS_ITEM"]["ERROR_CODE"] == "EMLC_INPUT", "a one-line journal with no amount"


def test_the_ledger_side_is_seeded_into_a_state_folder_saved_before_it_existed(tmp_path):
    before = sqlite3.connect(tmp_path / "oracle_ebs.sqlite")
    for name, (_, columns) in schema.TABLES.items():
        if name.startswith(("HZ_", "AP_")):
            before.execute(f"CREATE TABLE {name} ({columns})")
    seed(before, SeedSize(60, 60, START.date(), 4), 7)
    before.execute("UPDATE HZ_PARTIES SET PARTY_NAME = 'Kept' WHERE PARTY_ID = 1001")
    before.commit()
    parties = before.execute("SELECT COUNT(*) FROM HZ_PARTIES").fetchone()[0]
    before.close()
    again = emulator(tmp_path)
    assert len(again.rows("PO_HEADERS_ALL")) == 46 and again.rows("GL_LEDGERS")
    assert (
        len(again.rows("HZ_PARTIES")) == parties and again.rows("HZ_PARTIES", PARTY_ID=1001)[0]["PARTY_NAME"] == "Kept"
    )
