"""Purchase orders as Dataverse orders (the `salesorder` mapping mode) through the real load loop and client against
the emulator: one order per purchase order with its lines, totals computed by the target, nothing rewritten on a
rerun; and the emulator's platform behaviour that mode relies on."""

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import load
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as m

PAIR = m.PAIR


def item(ebeln: str, ebelp: str, quantity: int, price: str, **fields) -> m.PurchaseOrderItem:
    return m.PurchaseOrderItem(
        EBELN=ebeln,
        EBELP=ebelp,
        TXZ01="Stahlrohr DN50 6 m",
        MATNR="000000000000004711",
        MENGE=f"{quantity}.000",
        MEINS="M",
        NETPR=price,
        PEINH="1",
        NETWR=f"{quantity * float(price):.2f}",
        WERKS="1000",
        **fields,
    )


def test_purchase_orders_become_orders_with_lines_and_target_totals_once(dataverse, tmp_path):
    emulator, resource = dataverse
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    rules = m.Rules(purchase_orders_as="salesorder")
    vendors = m.map_accounts([m.Vendor(LIFNR="0000100001", NAME1="Contoso Rohre")], [], [], [], rules)
    orders = [
        m.PurchaseOrder(EBELN="4500000001", LIFNR="0000100001", WAERS="USD", ZTERM="ZB30"),
        m.PurchaseOrder(EBELN="4500000002", LIFNR="0000100001", WAERS="EUR"),
    ]
    items = [
        item("4500000001", "00010", 40, "18.40"),
        item("4500000001", "00020", 3, "1250.00"),
        item("4500000001", "00030", 7, "3.95", LOEKZ="L"),
        item("4500000002", "00010", 1, "145.00"),
    ]

    def sync_all(client) -> int:
        writes = client.counter.writes
        mapped = m.map_purchase_orders(
            orders, items, rules, key_column="mlc_externalid", currencies=client.currencies()
        )
        for target_object, result in (
            ("account", vendors),
            ("salesorder", mapped["document"]),
            ("salesorderdetail", mapped["line"]),
        ):
            summary = load(
                result.records, writer=client, ledger=ledger, pair=PAIR, target_object=target_object, batch_size=100
            )
            assert summary.failed == 0, target_object
        return client.counter.writes - writes

    with resource.open() as client:
        assert sync_all(client) == 3
        assert sync_all(client) == 0, "a rerun writes nothing"
    [order] = emulator.rows("salesorder", mlc_externalid="sap_ecc.po.4500000001")
    lines = emulator.rows("salesorderdetail", _salesorderid_value=order["salesorderid"])
    assert sorted(line["lineitemnumber"] for line in lines) == [10, 20]
    assert order["totalamount"] == order["totallineitemamount"] == 736.0 + 3750.0
    assert order["paymenttermscode"] == 1 and order["ordernumber"].startswith("ORD-")
    [usd] = emulator.rows("transactioncurrency", isocurrencycode="USD")
    assert order["_transactioncurrencyid_value"] == usd["transactioncurrencyid"]
    [account] = emulator.rows("account", mlc_externalid="sap_ecc.vendor.100001")
    assert order["_customerid_value"] == account["accountid"]
    assert emulator.count("salesorder") == 2 and emulator.count("salesorderdetail") == 3


def test_the_target_recalculates_totals_when_a_line_changes_or_goes(dataverse):
    emulator, resource = dataverse
    with resource.open() as client:
        http = client.http
        headers = {"Content-Type": "application/json"}
        eur = client.currencies()["EUR"]
        assert http.patch("accounts(mlc_externalid='a')", json={"name": "A"}, headers=headers).status_code == 204
        order = {
            "name": "O",
            "customerid_account@odata.bind": "/accounts(mlc_externalid='a')",
            "transactioncurrencyid@odata.bind": f"/transactioncurrencies({eur})",
        }
        assert http.patch("opportunities(mlc_externalid='o')", json=order, headers=headers).status_code == 204
        for key, quantity in (("l1", 2), ("l2", 5)):
            line = {
                "opportunityid@odata.bind": "/opportunities(mlc_externalid='o')",
                "isproductoverridden": True,
                "productdescription": "Pump",
                "quantity": quantity,
                "priceperunit": 10.5,
                "ispriceoverridden": True,
            }
            assert (
                http.patch(f"opportunityproducts(mlc_externalid='{key}')", json=line, headers=headers).status_code
                == 204
            )
        assert emulator.rows("opportunity")[0]["totalamount"] == 73.5
        assert http.delete("opportunityproducts(mlc_externalid='l2')").status_code == 204
        assert emulator.rows("opportunity")[0]["totalamount"] == 21.0
        # calculated columns are the platform's: a value sent for one does not stick
        assert (
            http.patch(
                "opportunityproducts(mlc_externalid='l1')", json={"extendedamount": 999}, headers=headers
            ).status_code
            == 204
        )
        assert emulator.rows("opportunity")[0]["totalamount"] == 21.0
        missing = http.patch(
            "opportunities(mlc_externalid='p')",
            headers=headers,
            json={
                **order,
                "transactioncurrencyid@odata.bind": "/transactioncurrencies(00000000-0000-0000-0000-00000000beef)",
            },
        )
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "0x80040217"
