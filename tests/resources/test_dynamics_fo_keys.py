"""F&O keys holding any character, against the strict emulator over HTTP: a customer number with any of `/ # < > * %
& : \\ ? +`, a space, quotes or non-ASCII is created, found by its key and by a filter, and updated by its key, in
the caller's company and another; a key encoded as F&O cannot read it reaches no row."""

import pytest
from ml_connector_dagster.resources.dynamics_fo.client import key_path

from ml_connector_dagster.loading import TargetRecord
from tests.awkward import AWKWARD

COMPANIES = ("usmf", "demf")  # usmf is the app user's default company, demf another


def customer(company: str, number: str, name: str) -> TargetRecord:
    return TargetRecord(
        f"{company}-{number}",
        {
            "dataAreaId": company,
            "CustomerAccount": number,
            "OrganizationName": name,
            "CustomerGroupId": "30",
            "SalesCurrencyCode": "EUR",
            "AddressCountryRegionId": "DEU",
        },
    )


def numbers() -> list[str]:
    return [f"K{c}1" for c in AWKWARD]


def test_customer_numbers_with_any_character_round_trip_through_create_lookup_by_key_and_filter_and_update(fo):
    emulator, resource = fo
    records = [customer(company, number, "Before") for company in COMPANIES for number in numbers()]
    with resource.open() as client:
        created = client.upsert("CustomersV3", records)
        assert [(r.ok, r.created) for r in created] == [(True, True)] * len(records), created
        known = {r.source_key: r.target_id for r in created}
        assert client.existing_keys("CustomersV3", known) == set(known), "each found by a $filter on its number"

        renamed = [TargetRecord(r.source_key, {**r.payload, "OrganizationName": "After"}) for r in records]
        updated = client.upsert("CustomersV3", renamed)
        assert [(r.ok, r.created) for r in updated] == [(True, False)] * len(records), updated

        for record in records:
            company, number = record.payload["dataAreaId"], record.payload["CustomerAccount"]
            path = key_path("CustomersV3", {"dataAreaId": company, "CustomerAccount": number})
            found = client.http.get(path, params={"cross-company": "true"})
            assert found.status_code == 200, (number, found.text)
            assert (found.json()["CustomerAccount"], found.json()["OrganizationName"]) == (number, "After")
    held = {(row["dataAreaId"], row["CustomerAccount"]) for row in emulator.rows("CustomersV3")}
    assert {(r.payload["dataAreaId"], r.payload["CustomerAccount"]) for r in records} <= held
    assert len(emulator.rows("CustomersV3")) == 90 + len(records), "updates by key created nothing"


@pytest.mark.parametrize(
    "number, sent",
    [
        ("K/1", "K%2F1"),  # encoded once: the route splits on it
        ("K\\1", "K%5C1"),  # the same: a backslash routes as a slash
        ("K+1", "K%2B1"),  # encoded once: the key's own decoding reads a space
        ("K%411", "K%25411"),  # encoded once: the key's own decoding reads `KA1`
        ("K/1", "K/1"),
        ("K#1", "K#1"),  # the rest of the URL is a fragment, never sent
        ("K?1", "K?1"),  # the rest of the path is the query
    ],
)
def test_a_key_encoded_as_f_and_o_cannot_read_it_reaches_no_row(fo, number, sent):
    emulator, resource = fo
    record = customer("usmf", number, "Untouched")
    with resource.open() as client:
        [created] = client.upsert("CustomersV3", [record])
        assert created.ok
        answer = client.http.patch(
            f"CustomersV3(dataAreaId='usmf',CustomerAccount='{sent}')", json={"OrganizationName": "Changed"}
        )
    assert answer.status_code in (400, 404), answer.text
    [row] = [r for r in emulator.rows("CustomersV3", dataAreaId="usmf") if r["CustomerAccount"] == number]
    assert row["OrganizationName"] == "Untouched"
