"""The EBS ISG emulator over real HTTP, through the connector's own `oracle_ebs` resource and plain httpx."""

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource

from ml_connector_dagster.http import ApiError, AuthError
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.oracle_ebs import OracleEbsEmulator
from ml_connector_dagster.sandbox.server import SandboxServer

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = [START + timedelta(days=n) for n in range(4)]


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


def keys(rows: list[dict], key: str) -> list[str]:
    return [row[key] for row in rows]


@pytest.mark.parametrize(
    "method,key",
    [
        ("GET_PARTIES", "PARTY_ID"),
        ("GET_CUST_ACCOUNTS", "CUST_ACCOUNT_ID"),
        ("GET_PARTY_SITES", "PARTY_SITE_ID"),
        ("GET_CONTACTS", "RELATIONSHIP_ID"),
        ("GET_VENDORS", "VENDOR_ID"),
        ("GET_VENDOR_SITES", "VENDOR_SITE_ID"),
    ],
)
def test_daily_windows_partition_the_data_and_paging_is_stable(ebs, method, key):
    _, url = ebs

    def changed_in(row: dict, start: datetime, end: datetime) -> bool:
        # a supplier or site whose end date falls in another window is returned there too
        if method not in ("GET_VENDORS", "GET_VENDOR_SITES"):
            return True
        return start <= datetime.fromisoformat(row["LAST_UPDATE_DATE"]).replace(tzinfo=UTC) < end

    with resource(url, page_size=1000).open() as service:
        whole = list(service.read_window(method, DAYS[0], DAYS[3]))
        by_day = [
            row
            for start, end in zip(DAYS, DAYS[1:], strict=False)
            for row in service.read_window(method, start, end)
            if changed_in(row, start, end)
        ]
    with resource(url, page_size=37).open() as service:
        paged = list(service.read_window(method, DAYS[0], DAYS[3]))
    assert whole and len(set(keys(whole, key))) == len(whole)
    assert keys(by_day, key) == keys(whole, key) == keys(paged, key)
    assert all(datetime.strptime(row["LAST_UPDATE_DATE"], "%Y-%m-%dT%H:%M:%S") for row in whole)
    assert all(isinstance(v, str) or v is None for row in whole for v in row.values())


def test_rows_of_given_parties_whatever_their_day(ebs):
    emulator, url = ebs
    customer = emulator.rows("HZ_CUST_ACCOUNTS")[5]["PARTY_ID"]
    with resource(url).open() as service:
        accounts = service.read_keys("GET_CUST_ACCOUNTS", f"{customer},999999")
        sites = service.read_keys("GET_PARTY_SITES", str(customer))
    assert {row["PARTY_ID"] for row in accounts} == {str(customer)} and sites
    assert {row["PARTY_ID"] for row in sites} == {str(customer)}


def test_every_party_page_by_page_after_a_party_id_whatever_its_change_stamp(ebs):
    emulator, url = ebs
    expected = sorted(
        int(row["PARTY_ID"]) for row in emulator.rows("HZ_PARTIES") if row["PARTY_TYPE"] in ("ORGANIZATION", "PERSON")
    )
    read, after, more = [], "0", True
    with resource(url).open() as service:
        while more:
            rows, more = service.parties_after(after, 97)
            read += [int(row["PARTY_ID"]) for row in rows]
            after = rows[-1]["PARTY_ID"]
        with pytest.raises(ApiError, match="not both"):
            service.call("GET_PARTIES", {"P_AFTER_PARTY_ID": "0", "P_PARTY_IDS": "1001", "P_LIMIT": "5"})
    assert read == expected


def test_org_id_scopes_the_operating_unit_rows(ebs):
    _, url = ebs
    assert resource(url, org_id="ALL").org_id is None
    with pytest.raises(ValueError, match="org_id"):
        resource(url, org_id="Vision Operations")
    with resource(url, org_id="204").open() as ours, resource(url, org_id="ALL").open() as every_unit:
        in_204 = list(ours.read_window("GET_VENDOR_SITES", DAYS[0], DAYS[3]))
        in_all = list(every_unit.read_window("GET_VENDOR_SITES", DAYS[0], DAYS[3]))
        sites_204 = list(ours.read_window("GET_PARTY_SITES", DAYS[0], DAYS[3]))
    assert {row["ORG_ID"] for row in in_204} == {"204"} and {"204", "458"} <= {row["ORG_ID"] for row in in_all}
    assert {row["ORG_ID"] for row in sites_204} <= {"204", None}


def test_hierarchies_contacts_and_site_uses_are_rendered_as_the_contract_says(ebs):
    _, url = ebs
    with resource(url).open() as service:
        parties = list(service.read_window("GET_PARTIES", DAYS[0], DAYS[3]))
        contacts = list(service.read_window("GET_CONTACTS", DAYS[0], DAYS[3]))
        sites = list(service.read_window("GET_PARTY_SITES", DAYS[0], DAYS[3]))
        vendors = list(service.read_window("GET_VENDORS", DAYS[0], DAYS[3]))
    assert any(row["PARENT_PARTY_ID"] for row in parties)
    assert {row["PARTY_TYPE"] for row in parties} == {"ORGANIZATION", "PERSON"}
    assert any(row["PHONE_NUMBER"] and row["PHONE_NUMBER"].startswith("+44 20 ") for row in contacts)
    assert any(row["PRIMARY_BILL_TO_FLAG"] == "Y" and "BILL_TO" in row["SITE_USE_CODES"] for row in sites)
    parents = {row["VENDOR_ID"]: row["PARTY_ID"] for row in vendors}
    with_parent = [row for row in vendors if row["PARENT_VENDOR_ID"]]
    assert with_parent and all(parents[r["PARENT_VENDOR_ID"]] == r["PARENT_VENDOR_PARTY_ID"] for r in with_parent)


def test_the_seed_has_the_mess_of_a_real_instance(ebs):
    emulator, _ = ebs
    organizations = emulator.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION")
    names = [row["PARTY_NAME"] for row in organizations]
    assert any(len(name) > 160 for name in names) and any(not name.strip() for name in names)
    assert any(not name.isascii() for name in names)
    assert any(row["EMAIL_ADDRESS"] and "@" not in row["EMAIL_ADDRESS"] for row in organizations)
    assert any(row["STATUS"] == "I" for row in organizations)
    assert any(row["PERSON_LAST_NAME"] is None for row in emulator.rows("HZ_PARTIES", PARTY_TYPE="PERSON"))


def test_one_login_per_use_a_new_one_after_the_session_expires_and_a_logout(ebs):
    emulator, url = ebs
    opened = emulator.sessions_opened
    with resource(url).open() as service:
        service.read_keys("GET_PARTIES", "1001")
        service.read_keys("GET_PARTIES", "1002")
        assert emulator.sessions_opened == opened + 1
        emulator.clock.advance(emulator.settings.session_ttl_seconds + 1)
        service.read_keys("GET_PARTIES", "1003")
        assert emulator.sessions_opened == opened + 2
    assert emulator.active_sessions() == 0


def test_basic_auth_mode_and_refused_credentials(ebs):
    emulator, url = ebs
    opened = emulator.sessions_opened
    with resource(url, auth_mode="basic").open() as service:
        assert service.read_keys("GET_PARTIES", "1001")
    assert emulator.sessions_opened == opened
    with resource(url, password="wrong-password").open() as service:
        with pytest.raises(AuthError, match="login refused") as failure:
            service.read_keys("GET_PARTIES", "1001")
    assert "wrong-password" not in str(failure.value)


def test_bad_input_faults_and_aliases_become_clear_errors(ebs):
    _, url = ebs
    with resource(url).open() as service:
        with pytest.raises(ApiError, match="P_LIMIT"):
            service.call("GET_PARTIES", {"P_PARTY_IDS": "1001", "P_LIMIT": "5000"})
        with pytest.raises(ApiError, match="before"):
            list(service.read_window("GET_PARTIES", DAYS[1], DAYS[0]))
    with resource(url, service_alias="wrong_alias").open() as service:
        with pytest.raises(ApiError, match="alias") as failure:
            service.read_keys("GET_PARTIES", "1001")
    assert failure.value.code == "ISG_INVALID_ALIAS"


def test_the_envelope_forms_isg_accepts(ebs):
    _, url = ebs
    auth = (SANDBOX.ebs_user, SANDBOX.ebs_password)
    endpoint = f"{url}/webservices/rest/xxmlc_sync/get_parties/"
    params = {"P_PARTY_IDS": "1001", "P_LIMIT": "10"}
    for body in (
        {"GET_PARTIES_Input": {"RESTHeader": {"Org_Id": "204"}, "InputParameters": params}},
        {"anything": {"InputParameters": params}},
        {"InputParameters": params},
    ):
        answer = httpx.post(endpoint, json=body, auth=auth).json()["OutputParameters"]
        assert answer["X_RETURN_STATUS"] == "S" and answer["X_ROWS"]["X_ROWS_ITEM"]["PARTY_ID"] == "1001"
    assert httpx.post(endpoint, json={"InputParameters": params}).status_code == 401


def test_a_supplier_a_site_and_a_contact_are_read_in_the_window_their_end_date_falls_in_without_an_edit(tmp_path):
    emulator = OracleEbsEmulator(
        clock=Clock(frozen_at=datetime(2026, 10, 20, 9, tzinfo=UTC)), state_dir=tmp_path, parties=30, vendors=5, days=2
    )
    vendor = emulator.rows("AP_SUPPLIERS")[0]
    site = emulator.rows("AP_SUPPLIER_SITES_ALL", VENDOR_ID=vendor["VENDOR_ID"])[0]
    contact = emulator.rows("HZ_RELATIONSHIPS", RELATIONSHIP_CODE="CONTACT_OF", DIRECTIONAL_FLAG="F")[0]
    emulator.update_row("AP_SUPPLIERS", str(vendor["VENDOR_ID"]), {"END_DATE_ACTIVE": "2026-10-25 00:00:00"})
    emulator.update_row("AP_SUPPLIER_SITES_ALL", str(site["VENDOR_SITE_ID"]), {"INACTIVE_DATE": "2026-10-25 08:00:00"})
    emulator.update_row("HZ_RELATIONSHIPS", str(contact["RELATIONSHIP_ID"]), {"END_DATE": "2026-10-25 12:00:00"})
    end_day = datetime(2026, 10, 25, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC)
    day_before = datetime(2026, 10, 24, tzinfo=UTC), end_day[0]
    with SandboxServer([emulator]) as server, resource(server.url("oracle_ebs"), org_id=None).open() as service:
        [ending] = service.read_window("GET_VENDORS", *end_day)
        [closing] = service.read_window("GET_VENDOR_SITES", *end_day)
        [leaving] = service.read_window("GET_CONTACTS", *end_day)
        assert not list(service.read_window("GET_VENDORS", *day_before))
        assert not list(service.read_window("GET_CONTACTS", *day_before))
    assert ending["VENDOR_ID"] == str(vendor["VENDOR_ID"]) and ending["END_DATE_ACTIVE"] == "2026-10-25T00:00:00"
    assert closing["VENDOR_SITE_ID"] == str(site["VENDOR_SITE_ID"])
    assert leaving["RELATIONSHIP_ID"] == str(contact["RELATIONSHIP_ID"])
    # the service returns the end date; whether it has passed is judged as of the day the connector maps
    assert leaving["END_DATE"] == "2026-10-25T12:00:00" and leaving["STATUS"] == "A"


def test_an_edit_moves_the_row_into_todays_window_and_persists(tmp_path):
    clock = Clock(frozen_at=datetime(2026, 10, 20, 9, tzinfo=UTC))
    emulator = OracleEbsEmulator(clock=clock, state_dir=tmp_path, parties=30, vendors=5, days=2)
    row = emulator.update_row("HZ_PARTIES", "1001", {"PARTY_NAME": "Renamed Ltd"})
    assert row["LAST_UPDATE_DATE"] == "2026-10-20 09:00:00" and row["OBJECT_VERSION_NUMBER"] == 2
    with pytest.raises(ValueError):
        emulator.update_row("HZ_PARTIES", "1001", {"NO_SUCH_COLUMN": 1})
    again = OracleEbsEmulator(clock=clock, state_dir=tmp_path, parties=30, vendors=5, days=2)
    assert again.rows("HZ_PARTIES", PARTY_ID=1001)[0]["PARTY_NAME"] == "Renamed Ltd"
    with SandboxServer([again]) as server:
        with resource(server.url("oracle_ebs")).open() as service:
            today = list(
                service.read_window(
                    "GET_PARTIES", datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 21, tzinfo=UTC)
                )
            )
        vendor_id = again.rows("AP_SUPPLIERS")[0]["VENDOR_ID"]
        patched = httpx.patch(
            f"{server.url('oracle_ebs')}/_admin/tables/PO_VENDORS/{vendor_id}", json={"VENDOR_NAME": "Via the view"}
        )
    assert [row["PARTY_NAME"] for row in today] == ["Renamed Ltd"]
    assert patched.status_code == 200 and patched.json()["VENDOR_NAME"] == "Via the view"


def test_a_windows_rows_are_placed_once_for_all_its_pages_and_again_after_an_edit():
    """The package runs its query again for every page; the emulator gives the same pages without computing and
    sorting the whole window for each one, and an edit between two reads is seen by the next."""
    clock = Clock(frozen_at=datetime(2026, 10, 20, 9, tzinfo=UTC))
    emulator = OracleEbsEmulator(clock=clock, parties=60, vendors=8, start_date=date(2026, 10, 1), days=3)
    with SandboxServer([emulator]) as server, resource(server.url("oracle_ebs"), page_size=7).open() as service:
        first = list(service.read_window("GET_PARTIES", DAYS[0], DAYS[3]))
        placed = emulator.windows.rows_placed
        emulator.update_row("HZ_PARTIES", first[0]["PARTY_ID"], {"PARTY_NAME": "Renamed Ltd"})
        after_edit = list(service.read_window("GET_PARTIES", DAYS[0], DAYS[3]))
    assert len(first) > 7 * 5 and placed == len(first)
    assert emulator.windows.rows_placed == placed + len(after_edit) == 2 * len(first) - 1
    assert first[0]["PARTY_ID"] not in keys(after_edit, "PARTY_ID")


def test_the_servers_time_is_read_off_its_answers_date_header_and_asked_for_once_when_nothing_was_read(ebs):
    emulator, url = ebs
    frozen = emulator.clock.now()
    with resource(url).open() as service:
        assert service.now() == frozen, "the emulator's clock, not this machine's"
        served = emulator.requests_served
        assert service.now() == frozen and emulator.requests_served == served, "asked for only while unknown"
        try:
            emulator.clock.freeze(frozen + timedelta(hours=7))
            assert service.now() == frozen, "the time of the latest answer"
            service.read_keys("GET_PARTIES", "999999")
            assert service.now() == frozen + timedelta(hours=7)
        finally:
            emulator.clock.freeze(frozen)
