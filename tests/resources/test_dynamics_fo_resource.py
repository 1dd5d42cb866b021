"""The `dynamics_fo` resource against the F&O emulator over HTTP: Entra tokens scoped to the environment, reads
across companies with nextLink paging, a sales order header with its lines in one change set, and F&O's infolog
reason when the change set is rolled back."""

import pytest
from ml_connector_dagster.resources.dynamics_fo.client import FoError

from ml_connector_dagster.http import AuthError
from ml_connector_dagster.odata_batch import Operation
from ml_connector_dagster.sandbox.credentials import SANDBOX


def test_reads_every_company_or_one_with_paging(fo):
    emulator, resource = fo
    with resource.open() as client:
        everything = list(client.rows("CustomersV3", select=["dataAreaId", "CustomerAccount", "OrganizationName"]))
        one = list(client.rows("CustomersV3", select=["dataAreaId", "CustomerAccount"], company="USRT"))
        pages = client.counter.total
    assert len(everything) == len(emulator.rows("CustomersV3")) == 90
    assert {row["dataAreaId"] for row in everything} > {"usmf"}, "not only the default company"
    assert one and {row["dataAreaId"] for row in one} == {"usrt"}
    assert pages >= 90 // 25 + 1 + 1, "followed nextLink page by page"


def test_an_order_and_its_lines_are_created_in_one_change_set(fo):
    emulator, resource = fo
    customer = next(r for r in emulator.rows("CustomersV3", dataAreaId="usmf") if r["SalesCurrencyCode"])
    item = emulator.rows("ReleasedProductsV2", dataAreaId="usmf")[0]
    before = len(emulator.rows("SalesOrderHeadersV2"))
    header = {
        "dataAreaId": "usmf",
        "OrderingCustomerAccountNumber": customer["CustomerAccount"],
        "CustomersOrderReference": "006000000000001AAA",
    }
    line = {"dataAreaId": "usmf", "ItemNumber": item["ItemNumber"], "OrderedSalesQuantity": 3}
    with resource.open() as client:
        parts = client.changeset(
            [Operation("POST", "SalesOrderHeadersV2", header), Operation("POST", "$1/SalesOrderLines", line)]
        )
        number = parts[0].body["SalesOrderNumber"]
        assert parts[1].body["SalesOrderNumber"] == number
        with pytest.raises(FoError) as refused:
            client.changeset(
                [
                    Operation("POST", "SalesOrderHeadersV2", header),
                    Operation("POST", "$1/SalesOrderLines", {**line, "ItemNumber": "NO-SUCH-ITEM"}),
                ]
            )
    assert "NO-SUCH-ITEM" in str(refused.value) or "item" in str(refused.value).lower()
    assert len(emulator.rows("SalesOrderHeadersV2")) == before + 1, "the refused set left no header behind"
    assert [r["OrderedSalesQuantity"] for r in emulator.rows("SalesOrderLines", SalesOrderNumber=number)] == [3]


def test_an_app_not_registered_in_fo_is_refused_clearly(fo):
    emulator, resource = fo
    emulator.update_settings({"entra_applications": []})
    with resource.open() as client, pytest.raises(AuthError) as refused:
        list(client.rows("CustomersV3"))
    assert "dynamics_fo" in str(refused.value) and SANDBOX.client_secret not in str(refused.value)
