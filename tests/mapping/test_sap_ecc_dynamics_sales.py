"""SAP ECC → Dynamics 365 Sales mapping: pure functions over pydantic rows, no HTTP, no Dagster."""

import pytest
from ml_connector_dagster.resources.sap_ecc.alpha import alpha_in, alpha_out

from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as m

KEY = "mlc_externalid"
CURRENCIES = {"EUR": "e0000000-0000-0000-0000-000000000001", "USD": "e0000000-0000-0000-0000-000000000002"}


def vendor(lifnr="0000100001", **fields) -> m.Vendor:
    return m.Vendor(
        LIFNR=lifnr,
        NAME1=fields.pop("NAME1", "Contoso Pumpen"),
        STRAS="Hauptstraße 5",
        ORT01="München",
        PSTLZ="80331",
        LAND1="DE",
        TELF1="+49 89 123456",
        STCEG=fields.pop("STCEG", "DE111111111"),
        **fields,
    )


def customer(kunnr="0000200001", **fields) -> m.Customer:
    return m.Customer(
        KUNNR=kunnr,
        NAME1=fields.pop("NAME1", "Contoso Sales"),
        ORT01="Lyon",
        LAND1="FR",
        STCEG=fields.pop("STCEG", "FR999"),
        **fields,
    )


def accounts(vendors=(), customers=(), vendor_codes=(), customer_codes=(), **rules):
    result = m.map_accounts(list(vendors), list(vendor_codes), list(customers), list(customer_codes), m.Rules(**rules))
    return result, {r.source_key: r.payload for r in result.records}


def test_alpha_conversion_is_one_place_for_leading_zeros():
    assert alpha_in("100001") == "0000100001" and alpha_in(100001) == "0000100001"
    assert alpha_in("cust-0041") == "CUST-0041" and alpha_out("CUST-0041") == "CUST-0041"
    assert alpha_out("0000100001") == "100001" and alpha_out("4500000001") == "4500000001"
    with pytest.raises(ValueError):
        alpha_in("12345678901")


def test_vendor_becomes_a_vendor_account_with_address_and_payment_terms():
    result, payloads = accounts(
        [vendor()],
        vendor_codes=[
            m.CompanyCode(LIFNR="0000100001", BUKRS="2000", ZTERM="ZN45"),
            m.CompanyCode(LIFNR="0000100001", BUKRS="1000", ZTERM="NT60"),
        ],
    )
    account = payloads["sap_ecc.vendor.100001"]
    assert account["customertypecode"] == 11 and account["accountnumber"] == "100001"
    assert account["paymenttermscode"] == 4, "company code 1000 is the configured one"
    assert account["address1_line1"] == "Hauptstraße 5" and account["address1_city"] == "München"
    assert account["address1_addresstypecode"] == 1 and account["telephone1"] == "+49 89 123456"
    assert (account["statecode"], account["statuscode"]) == (0, 1)


def test_linked_and_same_vat_customers_join_the_vendor_account():
    linked = customer("0000200001", LIFNR="0000100001")
    same_vat = customer("0000200002", STCEG="DE111111111")
    alone = customer("CUST-0041", STCEG="DE222")
    result, payloads = accounts([vendor()], [same_vat, linked, alone])
    assert set(payloads) == {"sap_ecc.vendor.100001", "sap_ecc.customer.CUST-0041"}
    both = payloads["sap_ecc.vendor.100001"]
    assert both["customertypecode"] == 3 and both["accountnumber"] == "200001", "linked customer comes first"
    assert both["description"] == "SAP ECC vendor 100001 · customer 200001 · customer 200002"
    assert {e.source_key for e in result.excluded} == {"sap_ecc.customer.200001", "sap_ecc.customer.200002"}
    _, without_vat = accounts([vendor()], [same_vat], merge_by_vat_number=False)
    assert "sap_ecc.customer.200002" in without_vat


def test_vat_number_shared_by_two_vendors_merges_nothing():
    _, payloads = accounts([vendor("0000100001"), vendor("0000100002")], [customer(STCEG="DE111111111")])
    assert "sap_ecc.customer.200001" in payloads


def test_deleted_and_centrally_blocked_partners_deactivate_and_are_never_created_so():
    deleted, blocked = vendor("0000100001", LOEVM="X"), vendor("0000100002", SPERR="X")
    purchasing_only, order_blocked = vendor("0000100003", SPERM="X"), customer(AUFSD="01")
    result, payloads = accounts([deleted, blocked, purchasing_only], [order_blocked])
    for key in ("sap_ecc.vendor.100001", "sap_ecc.vendor.100002", "sap_ecc.customer.200001"):
        assert (payloads[key]["statecode"], payloads[key]["statuscode"]) == (1, 2)
    assert payloads["sap_ecc.vendor.100003"]["statecode"] == 0, "a purchasing block alone keeps it active"
    update_only = {r.source_key for r in result.records if r.update_only}
    assert update_only == {"sap_ecc.vendor.100001", "sap_ecc.vendor.100002", "sap_ecc.customer.200001"}
    _, payloads = accounts([blocked], blocked_records="keep_active")
    assert payloads["sap_ecc.vendor.100002"]["statecode"] == 0


def test_a_flag_taken_away_reactivates_the_account():
    _, payloads = accounts([vendor("0000100001")])
    assert payloads["sap_ecc.vendor.100001"]["statecode"] == 0


def test_deleted_partners_can_be_skipped_by_rule():
    deleted, blocked = vendor("0000100001", LOEVM="X"), vendor("0000100002", SPERR="X")
    result, payloads = accounts([deleted, blocked], deleted_records="skip", blocked_records="deactivate")
    assert "sap_ecc.vendor.100001" not in payloads and payloads["sap_ecc.vendor.100002"]["statecode"] == 1
    assert [e.source_key for e in result.excluded] == ["sap_ecc.vendor.100001"]
    # a deleted vendor whose customer side is active stays an active account, typed as a customer
    _, payloads = accounts([deleted], [customer(LIFNR="0000100001")])
    assert payloads["sap_ecc.vendor.100001"]["statecode"] == 0
    assert payloads["sap_ecc.vendor.100001"]["customertypecode"] == 3


def test_blank_name_is_rejected_with_a_reason():
    result, payloads = accounts([vendor(NAME1="  ")])
    assert not payloads and "NAME1 and NAME2 are blank" in result.rejected[0].reason


def order(ebeln="4500000001", **fields) -> m.PurchaseOrder:
    return m.PurchaseOrder(
        EBELN=ebeln,
        BUKRS="1000",
        BSART="NB",
        LIFNR="0000100001",
        ZTERM="ZB30",
        EKORG="1000",
        WAERS=fields.pop("WAERS", "EUR"),
        **fields,
    )


def item(ebelp, quantity, price, text="Hydraulic pump 40 bar", ebeln="4500000001", **fields):
    net = f"{float(quantity) * float(price):.2f}"
    return m.PurchaseOrderItem(
        EBELN=ebeln,
        EBELP=ebelp,
        TXZ01=text,
        MATNR="MAT-1001",
        WERKS="1000",
        MENGE=f"{quantity}.000",
        MEINS="EA",
        NETPR=price,
        PEINH="1",
        NETWR=net,
        **fields,
    )


def purchase_orders(orders, items, **rules):
    return m.map_purchase_orders(orders, items, m.Rules(**rules), key_column=KEY, currencies=CURRENCIES)


def test_purchase_order_becomes_an_opportunity_with_its_items_and_total():
    items = [item("00010", 3, "1250.00"), item("00020", 40, "18.40"), item("00030", 2, "9.99", LOEKZ="L")]
    result = purchase_orders([order()], items)
    [document] = result["document"].records
    assert document.source_key == "sap_ecc.po.4500000001"
    assert document.payload["estimatedvalue"] == 3750.0 + 736.0, "deleted items do not count"
    assert document.payload["customerid_account@odata.bind"] == "/accounts(mlc_externalid='sap_ecc.vendor.100001')"
    assert document.payload["transactioncurrencyid@odata.bind"] == f"/transactioncurrencies({CURRENCIES['EUR']})"
    assert document.refs == (("account", "sap_ecc.vendor.100001"),)
    lines = {r.source_key: r for r in result["line"].records}
    assert set(lines) == {"sap_ecc.po_item.4500000001.00010", "sap_ecc.po_item.4500000001.00020"}
    line = lines["sap_ecc.po_item.4500000001.00020"]
    assert line.payload["opportunityid@odata.bind"] == "/opportunities(mlc_externalid='sap_ecc.po.4500000001')"
    assert line.payload["quantity"] == 40 and line.payload["priceperunit"] == 18.4
    assert line.payload["productdescription"] == "MAT-1001 Hydraulic pump 40 bar"
    assert line.refs == (("opportunity", "sap_ecc.po.4500000001"),)
    assert [e.source_key for e in result["line"].excluded] == ["sap_ecc.po_item.4500000001.00030"]


def test_sales_order_mode_makes_orders_and_order_lines():
    result = purchase_orders([order()], [item("00010", 1, "145.00")], purchase_orders_as="salesorder")
    [document], [line] = result["document"].records, result["line"].records
    assert "estimatedvalue" not in document.payload and document.payload["paymenttermscode"] == 1
    assert line.payload["salesorderid@odata.bind"] == "/salesorders(mlc_externalid='sap_ecc.po.4500000001')"
    assert line.refs == (("salesorder", "sap_ecc.po.4500000001"),)


def test_unknown_currency_rejects_the_order_and_its_lines_with_the_reason():
    result = purchase_orders([order(WAERS="PLN")], [item("00010", 1, "5.00")])
    [rejected] = result["document"].rejected
    assert "currency PLN is not set up" in rejected.reason
    assert "its purchase order was rejected" in result["line"].rejected[0].reason


def test_deleted_purchase_order_and_other_documents_are_excluded():
    result = purchase_orders(
        [order(LOEKZ="L"), order("4600000001", BSTYP="K")],
        [item("00010", 1, "5.00"), item("00010", 1, "5.00", ebeln="4600000001")],
    )
    assert not result["document"].records and len(result["document"].excluded) == 2
    assert len(result["line"].excluded) == 2 and not result["line"].records


def test_item_without_text_or_material_is_rejected():
    result = purchase_orders([order()], [item("00010", 1, "5.00", text="").model_copy(update={"MATNR": ""})])
    assert "productdescription" in result["line"].rejected[0].reason
