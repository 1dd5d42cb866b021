"""F&O as a target of the load loop, against the emulator over HTTP: customers and sales orders are looked up before
they are written, many change sets go in one $batch call, a deal never becomes two orders (a lost answer is in doubt,
not sent again; a rerun finds the order), and a deal that changed after its order was made is a conflict."""

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.sandbox.faults import DROP, FaultPlan

REFS = [f"006Sb000000000{n}AAA" for n in range(1, 4)]


def order(emulator, reference: str, quantity: float = 2) -> TargetRecord:
    customer = next(r for r in emulator.rows("CustomersV3", dataAreaId="usmf") if r["SalesCurrencyCode"])
    items = emulator.rows("ReleasedProductsV2", dataAreaId="usmf")
    return TargetRecord(
        reference,
        {
            "header": {
                "dataAreaId": "usmf",
                "OrderingCustomerAccountNumber": customer["CustomerAccount"],
                "CustomersOrderReference": reference,
                "RequestedShippingDate": "2026-11-29T12:00:00Z",
            },
            "lines": [
                {
                    "ItemNumber": items[0]["ItemNumber"],
                    "OrderedSalesQuantity": quantity,
                    "SalesPrice": 150.0,
                    "LineDiscountPercentage": 0,
                },
                {
                    "ItemNumber": items[1]["ItemNumber"],
                    "OrderedSalesQuantity": 1,
                    "SalesPrice": 20.0,
                    "LineDiscountPercentage": 10.0,
                },
            ],
        },
    )


def orders_of(emulator, reference: str) -> list[dict]:
    return [r for r in emulator.rows("SalesOrderHeadersV2") if r["CustomersOrderReference"] == reference]


def test_deals_become_one_order_each_with_their_lines_in_one_call_and_a_rerun_writes_nothing(fo):
    emulator, resource = fo
    with resource.open() as client:
        results = client.upsert("SalesOrderHeadersV2", [order(emulator, ref) for ref in REFS])
        assert [r.ok and r.created for r in results] == [True] * 3
        assert client.counter.calls == {"GET": 1, "POST": 1}, "one lookup, one $batch of three change sets"
        [header] = orders_of(emulator, REFS[0])
        assert results[0].target_id == f"usmf/{header['SalesOrderNumber']}"
        lines = [
            line
            for line in emulator.rows("SalesOrderLines")
            if line["SalesOrderNumber"] == header["SalesOrderNumber"] and line["dataAreaId"] == "usmf"
        ]
        assert sorted(line["OrderedSalesQuantity"] for line in lines) == [1, 2]
        assert header["OrderTotalAmount"] == 300 + 18

        again = client.upsert("SalesOrderHeadersV2", [order(emulator, ref) for ref in REFS])
        assert [(r.ok, r.created, r.target_id) for r in again] == [(True, False, r.target_id) for r in results]
        assert client.counter.writes == 1, "the rerun only read"
        assert client.existing_keys("SalesOrderHeadersV2", {ref: None for ref in [*REFS, "006Sb0000000009AAA"]}) == set(
            REFS
        )

        [changed] = client.upsert("SalesOrderHeadersV2", [order(emulator, REFS[0], quantity=5)])
    assert not changed.ok and changed.error_class == "conflict" and results[0].target_id in changed.error_message
    assert all(len(orders_of(emulator, ref)) == 1 for ref in REFS)


def test_a_lost_answer_is_in_doubt_neither_looked_up_nor_sent_twice(fo):
    emulator, resource = fo
    emulator.faults.add(FaultPlan(status=DROP, path_contains="$batch", drop_after_processing=True))
    with resource.open() as client:
        results = client.upsert("SalesOrderHeadersV2", [order(emulator, ref) for ref in REFS])
        assert client.counter.calls == {"GET": 1, "POST": 1}
    assert [r.error_class for r in results] == ["in_doubt"] * 3 and emulator.faults.injected == 1
    assert all(r.error_code == "RemoteProtocolError" for r in results)
    assert all(len(orders_of(emulator, ref)) == 1 for ref in REFS), "no second order for any deal"


def test_a_refused_order_fails_alone_with_fos_reason(fo):
    emulator, resource = fo
    bad = order(emulator, REFS[1])
    bad.payload["lines"][0]["ItemNumber"] = "NO-SUCH-ITEM"
    with resource.open() as client:
        good, refused = client.upsert("SalesOrderHeadersV2", [order(emulator, REFS[0]), bad])
    assert good.ok and not refused.ok and refused.error_class == "validation"
    assert "NO-SUCH-ITEM" in refused.error_message
    assert len(orders_of(emulator, REFS[0])) == 1 and not orders_of(emulator, REFS[1]), "its change set rolled back"


def test_customers_are_created_then_updated_by_the_key_the_mapping_chose_in_any_company(fo):
    emulator, resource = fo
    record = TargetRecord(
        "001Sb0000000002AAB",
        {
            "dataAreaId": "demf",
            "CustomerAccount": "SF-Sb0000000002AAB",
            "OrganizationName": "Fabrikam GmbH",
            "CustomerGroupId": "30",
            "SalesCurrencyCode": "EUR",
            "AddressCountryRegionId": "DEU",
        },
    )
    with resource.open() as client:
        [created] = client.upsert("CustomersV3", [record])
        renamed = TargetRecord(record.source_key, {**record.payload, "OrganizationName": "Fabrikam AG"})
        [updated] = client.upsert("CustomersV3", [renamed])
        present = client.existing_keys("CustomersV3", {record.source_key: created.target_id, "001x": "demf/NONE"})
    assert created.ok and created.created and created.target_id == "demf/SF-Sb0000000002AAB"
    assert updated.ok and not updated.created, updated
    [row] = [r for r in emulator.rows("CustomersV3", dataAreaId="demf") if r["CustomerAccount"] == "SF-Sb0000000002AAB"]
    assert row["OrganizationName"] == "Fabrikam AG" and present == {record.source_key}
