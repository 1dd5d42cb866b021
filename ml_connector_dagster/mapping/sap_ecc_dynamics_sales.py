"""SAP ECC → Dynamics 365 Sales: vendors and customers → accounts; purchase orders → opportunities or orders, their
items → opportunity products or order lines.

One account per vendor (`sap_ecc.vendor.<LIFNR>`). A customer that is the same company as a vendor (linked through
KNA1-LIFNR / LFA1-KUNNR, or the only vendor with its VAT number) is folded into that vendor's account, which is then
typed as both; other customers get their own account (`sap_ecc.customer.<KUNNR>`). Numbers are in their external
form (leading zeros removed, resources/sap_ecc/alpha.py). A purchase order is keyed by its number (EBELN), an item by
order and item number, so reruns and replays address the same rows.
"""

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import (
    Excluded,
    MappingResult,
    Rejected,
    clean,
    describe,
    external_id,
    load_rules,
)
from ml_connector_dagster.mapping.dynamics_sales import (
    ACTIVE,
    ADDRESS_BILL_TO,
    INACTIVE,
    PAYMENT_TERMS_CODES,
    AccountPayload,
    OpportunityPayload,
    OpportunityProductPayload,
    SalesOrderDetailPayload,
    SalesOrderPayload,
    bind,
    valid_customer_type,
)
from ml_connector_dagster.resources.sap_ecc.alpha import alpha_out
from ml_connector_dagster.source_rows import readable

PAIR = "sap_ecc__dynamics_sales"
DEFAULT_RULES_FILE = Path(__file__).with_name("sap_ecc_dynamics_sales.yaml")


# --- rules (the per-deployment mapping file) ----------------------------------------------------------------------
class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purchase_orders_as: Literal["opportunity", "salesorder"] = Field(
        default="opportunity",
        description="opportunity: items become opportunity products; salesorder: items become order lines",
    )
    vendor_type_code: int = Field(default=11, description="customertypecode of vendor-only accounts")
    customer_type_code: int = Field(default=3, description="customertypecode of customer-only accounts")
    customer_and_vendor_type_code: int = Field(default=3, description="customertypecode of a company that is both")
    vendor_flag_column: str | None = Field(
        default=None, description="optional Boolean custom column set true on every account that has an SAP vendor"
    )
    merge_by_vat_number: bool = Field(
        default=True,
        description="a customer with the VAT number (STCEG) of exactly "
        "one vendor joins that vendor's account even when not linked in SAP",
    )
    company_code: str = Field(
        default="1000",
        pattern=r"^[A-Z0-9]{1,4}$",
        description="BUKRS whose LFB1/KNB1 payment terms apply (else the lowest company code of the partner)",
    )
    payment_terms: dict[str, int] = Field(
        default={"ZB30": 1, "ZN45": 3, "NT60": 4},
        description="ZTERM → paymenttermscode; terms not listed leave the column empty",
    )
    deleted_records: Literal["deactivate", "skip"] = Field(
        default="deactivate", description="partners with a deletion flag (LOEVM): deactivate the account or skip"
    )
    blocked_records: Literal["keep_active", "deactivate", "skip"] = Field(
        default="deactivate",
        description="vendors with a central posting block (SPERR), customers with an order block (AUFSD)",
    )

    @field_validator("vendor_type_code", "customer_type_code", "customer_and_vendor_type_code")
    @classmethod
    def _known_code(cls, code: int) -> int:
        return valid_customer_type(code)

    @field_validator("payment_terms")
    @classmethod
    def _known_terms(cls, mapping: dict[str, int]) -> dict[str, int]:
        for zterm, code in mapping.items():
            if code not in PAYMENT_TERMS_CODES:
                raise ValueError(f"{code} (for {zterm}) is not a paymenttermscode; use one of {PAYMENT_TERMS_CODES}")
        return mapping

    @property
    def document_object(self) -> str:
        return self.purchase_orders_as

    @property
    def line_object(self) -> str:
        return {"opportunity": "opportunityproduct", "salesorder": "salesorderdetail"}[self.purchase_orders_as]


def load_pair_rules(path: Path | None = None) -> Rules:
    return load_rules(Rules, path or DEFAULT_RULES_FILE)


# --- source rows (SAP internal forms; an empty field is "") -------------------------------------------------------
# Amounts and item numbers as text, checked to be what the mapping reads them as (source_rows.py): an amount
# RFC_READ_TABLE cut to its field and marked `*` fails its purchase order, not the partition.
SapNumber = Annotated[str, readable("a number", lambda text: _decimal(text))]
SapWholeNumber = Annotated[str, readable("a whole number", int)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Partner(_Row):
    NAME1: str = ""
    NAME2: str = ""
    STRAS: str = ""
    ORT01: str = ""
    PSTLZ: str = ""
    REGIO: str = ""
    LAND1: str = ""
    TELF1: str = ""
    STCEG: str = ""
    LOEVM: str = ""

    @property
    def name(self) -> str | None:
        return clean(f"{self.NAME1} {self.NAME2}")


class Vendor(_Partner):
    LIFNR: str
    KUNNR: str = ""
    SPERR: str = ""
    SPERM: str = ""

    @property
    def blocked(self) -> bool:
        # the central posting block stops all business with the vendor; a purchasing block (SPERM) only new
        # orders, and the company is still a partner worth seeing in the CRM
        return bool(self.SPERR)


class Customer(_Partner):
    KUNNR: str
    LIFNR: str = ""
    AUFSD: str = ""

    @property
    def blocked(self) -> bool:
        return bool(self.AUFSD)


class CompanyCode(_Row):
    """LFB1 or KNB1: one partner in one company code."""

    LIFNR: str = ""
    KUNNR: str = ""
    BUKRS: str
    ZTERM: str = ""


class PurchaseOrder(_Row):
    EBELN: str
    BUKRS: str = ""
    BSTYP: str = "F"
    BSART: str = ""
    LOEKZ: str = ""
    LIFNR: str
    ZTERM: str = ""
    EKORG: str = ""
    WAERS: str = ""


class PurchaseOrderItem(_Row):
    EBELN: str
    EBELP: SapWholeNumber
    LOEKZ: str = ""
    TXZ01: str = ""
    MATNR: str = ""
    WERKS: str = ""
    MENGE: SapNumber = "0"
    MEINS: str = ""
    NETPR: SapNumber = "0"
    PEINH: SapNumber = "1"
    NETWR: SapNumber = "0"


# --- keys ---------------------------------------------------------------------------------------------------------
def vendor_key(lifnr: str) -> str:
    return external_id("sap_ecc", "vendor", alpha_out(lifnr))


def customer_key(kunnr: str) -> str:
    return external_id("sap_ecc", "customer", alpha_out(kunnr))


def order_key(ebeln: str) -> str:
    return external_id("sap_ecc", "po", alpha_out(ebeln))


def item_key(ebeln: str, ebelp: str) -> str:
    return external_id("sap_ecc", "po_item", alpha_out(ebeln), ebelp)


# --- accounts -----------------------------------------------------------------------------------------------------
def map_accounts(
    vendors: list[Vendor],
    vendor_companies: list[CompanyCode],
    customers: list[Customer],
    customer_companies: list[CompanyCode],
    rules: Rules,
) -> MappingResult:
    """One account per vendor (with the customers that are the same company) and per remaining customer."""
    owner = _owning_vendor(vendors, customers, rules)
    joined: dict[str, list[Customer]] = defaultdict(list)
    result = MappingResult()
    for customer in customers:
        lifnr, why = owner.get(customer.KUNNR, (None, None))
        if lifnr:
            joined[lifnr].append(customer)
            result.excluded.append(
                Excluded(
                    customer_key(customer.KUNNR),
                    f"same company as vendor {alpha_out(lifnr)} ({why}): one account {vendor_key(lifnr)}",
                    origin=_origin(customer),
                )
            )
    terms_of = {
        "vendor": _terms(vendor_companies, "LIFNR", rules),
        "customer": _terms(customer_companies, "KUNNR", rules),
    }
    for vendor in vendors:
        # Linked customers first, then by number: the account's customer number must not depend on read order.
        members = sorted(joined.get(vendor.LIFNR, []), key=lambda c: (owner[c.KUNNR][1] == SAME_VAT, c.KUNNR))
        _add_account(result, vendor_key(vendor.LIFNR), vendor, members, terms_of, rules)
    for customer in customers:
        if customer.KUNNR not in owner:
            _add_account(result, customer_key(customer.KUNNR), None, [customer], terms_of, rules)
    return result


SAME_VAT = "same VAT number"


def _owning_vendor(vendors: list[Vendor], customers: list[Customer], rules: Rules) -> dict[str, tuple[str, str]]:
    by_number = {v.LIFNR: v for v in vendors}
    linked_from_vendor = {v.KUNNR: v.LIFNR for v in vendors if v.KUNNR}
    by_vat: dict[str, list[str]] = defaultdict(list)
    for vendor in vendors:
        if clean(vendor.STCEG):
            by_vat[clean(vendor.STCEG)].append(vendor.LIFNR)
    owner = {}
    for customer in customers:
        if customer.LIFNR in by_number:
            owner[customer.KUNNR] = (customer.LIFNR, "linked in the customer master")
        elif customer.KUNNR in linked_from_vendor:
            owner[customer.KUNNR] = (linked_from_vendor[customer.KUNNR], "linked in the vendor master")
        elif rules.merge_by_vat_number and len(by_vat.get(clean(customer.STCEG) or "", [])) == 1:
            owner[customer.KUNNR] = (by_vat[clean(customer.STCEG)][0], SAME_VAT)
    return owner


def _terms(companies: list[CompanyCode], key: str, rules: Rules) -> dict[str, int | None]:
    """Partner → paymenttermscode, from the configured company code, else the partner's lowest company code."""
    chosen: dict[str, CompanyCode] = {}
    for row in sorted(companies, key=lambda r: (r.BUKRS != rules.company_code, r.BUKRS), reverse=True):
        chosen[getattr(row, key)] = row
    return {partner: rules.payment_terms.get(row.ZTERM) for partner, row in chosen.items()}


def _add_account(
    result: MappingResult, key: str, vendor: Vendor | None, customers: list[Customer], terms_of: dict, rules: Rules
) -> None:
    members = ([vendor] if vendor else []) + customers
    active = [m for m in members if not _inactive(m, rules)]
    if not active and _action(members, rules) == "skip":
        result.excluded.append(
            Excluded(key, "deleted or blocked in SAP (rules: skip)", origin=_origin(vendor or customers[0]))
        )
        return
    main = vendor or customers[0]
    # An account is what its active members are; a wholly inactive one keeps what it was, deactivated.
    counted = active or members
    is_vendor = any(m is vendor for m in counted)
    customer = next((c for c in customers if any(m is c for m in counted)), None)
    state = ACTIVE if active else INACTIVE
    fields = {
        "name": main.name,
        "accountnumber": alpha_out(customer.KUNNR) if customer else alpha_out(vendor.LIFNR),
        "customertypecode": (
            rules.customer_and_vendor_type_code
            if is_vendor and customer
            else rules.vendor_type_code
            if is_vendor
            else rules.customer_type_code
        ),
        "telephone1": clean(main.TELF1) or next((clean(c.TELF1) for c in customers if clean(c.TELF1)), None),
        "address1_addresstypecode": ADDRESS_BILL_TO if clean(main.STRAS) or clean(main.ORT01) else None,
        "address1_line1": clean(main.STRAS),
        "address1_city": clean(main.ORT01),
        "address1_postalcode": clean(main.PSTLZ),
        "address1_stateorprovince": clean(main.REGIO),
        "address1_country": clean(main.LAND1),
        "paymenttermscode": (
            terms_of["customer"].get(customer.KUNNR) if customer else terms_of["vendor"].get(vendor.LIFNR)
        ),
        "description": " · ".join(
            ([f"SAP ECC vendor {alpha_out(vendor.LIFNR)}"] if vendor else [])
            + [f"customer {alpha_out(c.KUNNR)}" for c in customers]
        ),
        "statecode": state[0],
        "statuscode": state[1],
    }
    try:
        if fields["name"] is None:
            raise _Refused("NAME1 and NAME2 are blank in SAP: an account needs a name")
        payload = AccountPayload.dump(fields)
    except (ValidationError, _Refused) as exc:
        result.rejected.append(Rejected(key, _why(exc), main.model_dump(), origin=_origin(main)))
        return
    if rules.vendor_flag_column:
        payload[rules.vendor_flag_column] = vendor is not None
    # Dataverse creates every record active: a partner retired before it was ever synced is not created
    never_created = None if active else "deleted or blocked in SAP and never synced: not created inactive"
    result.records.append(TargetRecord(key, payload, update_only=never_created, origin=_origin(main)))


def _origin(partner: Vendor | Customer) -> str:
    """The partner as SAP holds it, leading zeros and all: what a key conflict names."""
    return f"LIFNR {partner.LIFNR!r}" if isinstance(partner, Vendor) else f"KUNNR {partner.KUNNR!r}"


def _inactive(partner: Vendor | Customer, rules: Rules) -> bool:
    return bool(partner.LOEVM) or (partner.blocked and rules.blocked_records != "keep_active")


def _action(members: list, rules: Rules) -> str:
    return rules.deleted_records if any(m.LOEVM for m in members) else rules.blocked_records


# --- purchase orders ----------------------------------------------------------------------------------------------
DOCUMENTS = {
    "opportunity": (OpportunityPayload, OpportunityProductPayload, "opportunities"),
    "salesorder": (SalesOrderPayload, SalesOrderDetailPayload, "salesorders"),
}


def map_purchase_orders(
    orders: list[PurchaseOrder],
    items: list[PurchaseOrderItem],
    rules: Rules,
    *,
    key_column: str,
    currencies: dict[str, str],
) -> dict[str, MappingResult]:
    """{"document": opportunities or orders, "line": their lines}. `currencies`: ISO code → transactioncurrencyid
    of the currencies set up in the target."""
    document_model, line_model, entity_set = DOCUMENTS[rules.purchase_orders_as]
    items_of: dict[str, list[PurchaseOrderItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.EBELP):
        items_of[item.EBELN].append(item)
    documents, lines = MappingResult(), MappingResult()
    for order in orders:
        key = order_key(order.EBELN)
        own_items = items_of.get(order.EBELN, [])
        if order.LOEKZ or order.BSTYP != "F":
            why = (
                f"deletion indicator {order.LOEKZ}"
                if order.LOEKZ
                else f"document category {order.BSTYP} is not a purchase order"
            )
            documents.excluded.append(Excluded(key, why, origin=_order_origin(order)))
            lines.excluded += [
                Excluded(item_key(i.EBELN, i.EBELP), f"its purchase order: {why}", origin=_item_origin(i))
                for i in own_items
            ]
            continue
        active = [i for i in own_items if not i.LOEKZ]
        # A deleted item's line leaves the document too, so the target's totals stay those of SAP.
        lines.excluded += [
            Excluded(
                item_key(i.EBELN, i.EBELP),
                f"deletion indicator {i.LOEKZ}",
                remove_from_target=True,
                origin=_item_origin(i),
            )
            for i in own_items
            if i.LOEKZ
        ]
        currency = currencies.get(order.WAERS.upper())
        fields = {
            "name": f"Purchase order {alpha_out(order.EBELN)}",
            "description": f"SAP ECC purchase order {alpha_out(order.EBELN)} ({order.BSART}), company code "
            f"{order.BUKRS}, purchasing organization {order.EKORG}",
            "customer": bind("accounts", key_column, vendor_key(order.LIFNR)),
            "currency": f"/transactioncurrencies({currency})" if currency else None,
        }
        if rules.purchase_orders_as == "opportunity":
            fields["estimatedvalue"] = float(sum((_decimal(i.NETWR) for i in active), Decimal(0)))
        else:
            fields["paymenttermscode"] = rules.payment_terms.get(order.ZTERM)
        try:
            if currency is None:
                raise _Refused(
                    f"currency {order.WAERS or '(none)'} is not set up in Dynamics 365 Sales: add it "
                    "under Settings > Business Management > Currencies"
                )
            payload = document_model.dump(fields)
        except (ValidationError, _Refused, InvalidOperation) as exc:
            documents.rejected.append(Rejected(key, _why(exc), order.model_dump(), origin=_order_origin(order)))
            # Its lines could only wait for it; they are fixed, and come back, with it.
            lines.rejected += [
                Rejected(
                    item_key(i.EBELN, i.EBELP),
                    f"its purchase order was rejected: {_why(exc)}",
                    i.model_dump(),
                    origin=_item_origin(i),
                )
                for i in active
            ]
            continue
        documents.records.append(
            TargetRecord(key, payload, (("account", vendor_key(order.LIFNR)),), origin=_order_origin(order))
        )
        document_bind = bind(entity_set, key_column, key)
        for item in active:
            _add_line(lines, item, line_model, document_bind, (rules.document_object, key))
    return {"document": documents, "line": lines}


class _Refused(ValueError):
    pass


def _add_line(lines: MappingResult, item: PurchaseOrderItem, model, document_bind: str, parent: tuple) -> None:
    key = item_key(item.EBELN, item.EBELP)
    material = alpha_out(item.MATNR) if clean(item.MATNR) else None
    try:
        quantity, net = _decimal(item.MENGE), _decimal(item.NETWR)
        unit_price = net / quantity if quantity else _decimal(item.NETPR) / (_decimal(item.PEINH) or 1)
        payload = model.dump(
            {
                "productdescription": " ".join(p for p in (material, clean(item.TXZ01)) if p),
                "quantity": float(quantity),
                "priceperunit": float(round(unit_price, 4)),
                "lineitemnumber": int(item.EBELP),
                "description": f"SAP item {item.EBELP}: {quantity.normalize():f} {item.MEINS}, plant {item.WERKS}",
                "document": document_bind,
            }
        )
    except (ValidationError, InvalidOperation, ValueError) as exc:
        lines.rejected.append(Rejected(key, _why(exc), item.model_dump(), origin=_item_origin(item)))
        return
    lines.records.append(TargetRecord(key, payload, (parent,), origin=_item_origin(item)))


def _order_origin(order: PurchaseOrder) -> str:
    return f"EBELN {order.EBELN!r}"


def _item_origin(item: PurchaseOrderItem) -> str:
    return f"EBELN {item.EBELN!r} EBELP {item.EBELP!r}"


def _decimal(text: str) -> Decimal:
    return Decimal(text.strip() or "0")


def _why(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return describe(error)
    if isinstance(error, InvalidOperation):
        return "an amount or quantity is not a number"
    return str(error)
