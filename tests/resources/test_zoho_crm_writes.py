"""Writing Zoho CRM through the load loop: upserts on the connector's key field and updates by id, 100 records a
call with no automation triggered, every record's own answer read from a 207 or a 400, the ledger's ids checked by
reading them, and a run whose credits run out stopping cleanly: what it did not send is QUOTA, to be sent next run."""

import json

from ml_connector_dagster.ledger import ErrorClass, Ledger
from ml_connector_dagster.loading import TargetRecord, WriteResult, load
from tests.resources.zoho_crm_fake import FakeZoho, answer, connected

PAIR = "jde__zoho_crm"


def zoho_id(n: int) -> str:
    return str(5725767000000000000 + n)


def success(n: int, action: str) -> dict:
    return {
        "code": "SUCCESS",
        "duplicate_field": None if action == "insert" else "JDE_Address_Number",
        "action": action,
        "details": {"id": zoho_id(n), "Modified_Time": "2026-12-07T10:00:00+05:30"},
        "message": "record added" if action == "insert" else "record updated",
        "status": "success",
    }


def refusal(code: str, field: str) -> dict:
    return {
        "code": code,
        "details": {"api_name": field, "json_path": f"$.data[0].{field}"},
        "message": "bad",
        "status": "error",
    }


def accounts(count: int, start: int = 0) -> list[TargetRecord]:
    return [TargetRecord(str(1000 + n), {"Account_Name": f"Customer {n}"}) for n in range(start, start + count)]


def test_upserts_and_updates_answer_per_record_from_a_207():
    def mixed(request):
        if request.method == "PUT":
            return answer(200, {"data": [success(9, "update")]})
        return answer(
            207,
            {
                "data": [
                    success(1, "insert"),
                    success(2, "update"),
                    refusal("DUPLICATE_DATA", "Account_Number"),
                    refusal("MANDATORY_NOT_FOUND", "Account_Name"),
                ]
            },
        )

    fake = FakeZoho(mixed)
    records = [*accounts(4), TargetRecord("2000", {"id": zoho_id(9), "Phone": "555"})]
    with connected(fake) as client:
        results = client.upsert("Accounts", records)
    update, upsert = sorted(fake.calls, key=lambda call: call.method != "PUT")  # sent side by side
    assert (update.method, update.url.path) == ("PUT", "/crm/v8/Accounts")
    assert json.loads(update.content) == {"data": [{"id": zoho_id(9), "Phone": "555"}], "trigger": []}
    assert (upsert.method, upsert.url.path) == ("POST", "/crm/v8/Accounts/upsert")
    sent = json.loads(upsert.content)
    assert sent["duplicate_check_fields"] == ["JDE_Address_Number"] and sent["trigger"] == []
    assert sent["data"][0] == {"JDE_Address_Number": "1000", "Account_Name": "Customer 0"}
    by_key = {result.source_key: result for result in results}
    assert by_key["2000"] == WriteResult("2000", True, zoho_id(9), False)
    assert by_key["1000"] == WriteResult("1000", True, zoho_id(1), True)
    assert by_key["1001"].ok and by_key["1001"].created is False
    assert (by_key["1002"].error_class, by_key["1002"].error_code) == (ErrorClass.CONFLICT, "DUPLICATE_DATA")
    assert by_key["1003"].error_class == ErrorClass.VALIDATION and "Account_Name" in by_key["1003"].error_message


def test_a_batch_zoho_refuses_whole_still_answers_per_record_and_contacts_upsert_on_their_key():
    fake = FakeZoho(lambda request: answer(400, {"data": [refusal("INVALID_DATA", "Email")]}))
    with connected(fake) as client:
        [result] = client.upsert("Contacts", [TargetRecord("1000.2", {"Last_Name": "Doe", "Email": "x"})])
    assert (result.ok, result.error_class, result.error_code) == (False, ErrorClass.VALIDATION, "INVALID_DATA")
    assert json.loads(fake.calls[0].content)["duplicate_check_fields"] == ["JDE_Contact_Key"]


def test_which_records_exist_is_read_by_the_ids_the_ledger_holds():
    fake = FakeZoho(lambda request: answer(200, {"data": [{"id": "11"}], "info": {}}))
    with connected(fake) as client:
        assert client.existing_keys("Accounts", {"1000": "11", "1001": "12", "1002": None}) == {"1000"}
    assert dict(fake.calls[0].url.params)["ids"] == "11,12"


def credits_for(calls: int):
    """Upserts that succeed `calls` times; then Zoho says the org's credits are spent [the answer is a guess]."""
    answered = []

    def api(request):
        answered.append(request)
        if len(answered) > calls:
            return answer(
                400, {"code": "LIMIT_EXCEEDED", "details": {}, "message": "API credits exhausted", "status": "error"}
            )
        rows = json.loads(request.content)["data"]
        return answer(200, {"data": [success(n, "insert") for n, _ in enumerate(rows)]})

    return api


def test_a_run_whose_credits_run_out_stops_cleanly_and_the_next_run_sends_the_rest(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    records = accounts(250)
    fake = FakeZoho(credits_for(calls=2))
    with connected(fake) as client:
        first = load(records, writer=client, ledger=ledger, pair=PAIR, target_object="Accounts", batch_size=1000)
        after = len(fake.calls)
        [late] = client.upsert("Accounts", accounts(1, start=900))
        assert len(fake.calls) == after, "nothing more is sent in this run"
    # the batch's three calls (100, 100, 50) go side by side: the one Zoho answered last was refused
    assert first.created + first.failed == 250 and first.failed in (50, 100)
    assert first.failures_by_class == {"quota": first.failed}
    assert late.error_class == ErrorClass.QUOTA
    letters = ledger.open_dead_letters(PAIR, "Accounts")
    assert len(letters) == first.failed and "next run resumes" in letters[0].error_message
    with connected(FakeZoho(credits_for(calls=99))) as client:
        resumed = load(records, writer=client, ledger=ledger, pair=PAIR, target_object="Accounts", batch_size=1000)
    assert (resumed.unchanged, resumed.created) == (first.created, first.failed)
    ledger.dispose()


def test_a_run_stops_when_zoho_says_no_more_than_the_reserve_remains():
    def low(request):
        rows = json.loads(request.content)["data"]
        return answer(
            200, {"data": [success(n, "insert") for n, _ in enumerate(rows)]}, **{"X-RATELIMIT-REMAINING": "40"}
        )

    fake = FakeZoho(low)
    # one call at a time: the first answer stops the second (calls side by side are all sent before it comes)
    with connected(fake, credit_reserve=50, max_parallel_batches=1) as client:
        results = client.upsert("Accounts", accounts(150))
    assert len(fake.calls) == 1
    assert [r.ok for r in results].count(True) == 100
    assert {r.error_class for r in results if not r.ok} == {ErrorClass.QUOTA}
