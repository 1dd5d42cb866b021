"""JDE as a target: customers and contacts created and updated through the orchestrations, one call per record,
and a record JDE refuses becoming a failed result with JDE's own text while the others are written."""

from contextlib import ExitStack

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord


def test_a_customer_is_created_then_updated_by_its_address_number(jde):
    emulator, resource = jde
    with ExitStack() as stack:
        client = resource().connect(stack)
        [created] = client.upsert(
            "customer",
            [
                TargetRecord(
                    "z1", {"AlphaName": "Żabka Polska", "SearchType": "C", "PaymentTerms": "N45", "Country": "PL"}
                )
            ],
        )
        emulator.clock.advance(600)
        [updated] = client.upsert(
            "customer", [TargetRecord("z1", {"AddressNumber": created.target_id, "CreditLimit": "2500.50"})]
        )
        assert client.counter.calls == {"POST (read)": 1, "POST": 2}  # the token, one call per record
    assert (created.ok, created.created, updated.ok, updated.created) == (True, True, True, False)
    assert updated.target_id == created.target_id
    an8 = int(created.target_id)
    assert emulator.row("F0101", str(an8))["ALPH"] == "Żabka Polska"
    master = emulator.row("F03012", f"{an8}.00001")
    assert (master["TRAR"], float(master["ACL"]), master["UPMT"]) == ("N45", 2500.5, 91000)
    assert emulator.row("F0116", f"{an8}.{emulator.row('F0101', str(an8))['UPMJ']}")["CTR"] == "PL"
    assert emulator.orchestration_calls[0][0] == "MLC_AddCustomer"
    assert emulator.orchestration_calls[0][1]["Company"] == "00001"


def test_a_contact_is_added_as_the_next_whos_who_line_and_updated_by_it(jde):
    emulator, resource = jde
    lines = len(emulator.rows("F0111", AN8=4001))
    with ExitStack() as stack:
        client = resource().connect(stack)
        [added] = client.upsert(
            "contact", [TargetRecord("c", {"AddressNumber": "4001", "Surname": "Ng", "EmailAddress": "ng@example.com"})]
        )
        line = added.target_id.split(".")[1]
        [updated] = client.upsert(
            "contact", [TargetRecord("c", {"AddressNumber": "4001", "LineNumber": line, "GivenName": "Ada"})]
        )
        assert client.existing_keys("contact", {"c": added.target_id, "gone": "4001.99", "never": None}) == {"c"}
    assert added.target_id == f"4001.{lines}" and updated.target_id == added.target_id
    assert emulator.row("F0111", added.target_id)["MLNM"] == "Ada Ng"
    assert emulator.row("F01151", f"{added.target_id}.1")["EMAL"] == "ng@example.com"


def test_a_refused_record_fails_with_jdes_message_and_the_batch_goes_on(jde):
    emulator, resource = jde
    records = [
        TargetRecord("bad-terms", {"AlphaName": "A", "SearchType": "C", "PaymentTerms": "X9"}),
        TargetRecord("unknown", {"AddressNumber": "999999", "AlphaName": "B"}),
        TargetRecord("good", {"AlphaName": "C", "SearchType": "V"}),
    ]
    with ExitStack() as stack:
        results = {r.source_key: r for r in resource().connect(stack).upsert("customer", records)}
    assert results["good"].ok
    for key, text in (("bad-terms", "Payment Terms Code 'X9' is invalid"), ("unknown", "Address Number '999999'")):
        assert not results[key].ok and results[key].error_class == ErrorClass.VALIDATION
        assert text in results[key].error_message
