"""What the platform computes and enforces across fields and records, beyond one field's type and length:
read-only fields derived from others, auto-numbers, and the price book and line item rules of crm_targets.md §1.8."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from ml_connector_dagster.sandbox.salesforce.auth import USER_ID
from ml_connector_dagster.sandbox.salesforce.errors import SfError
from ml_connector_dagster.sandbox.salesforce.schema import SObject

if TYPE_CHECKING:
    from ml_connector_dagster.sandbox.salesforce.records import Writes

_AUTO_NUMBERS = {"Order": ("OrderNumber", 8), "OrderItem": ("OrderItemNumber", 10)}
# Guess: the stages of the default sales process that close an opportunity.
_CLOSED_STAGES = {"closed won": True, "closed lost": False}


def auto_numbers(sobject: SObject, next_number: Callable[[str], int]) -> dict:
    if sobject.name not in _AUTO_NUMBERS:
        return {}
    field, width = _AUTO_NUMBERS[sobject.name]
    return {field: str(next_number(field) + 99).rjust(width, "0")}  # Guess: auto-numbers start at 100


def derived(sobject: SObject, row: dict, writes: "Writes") -> dict:
    if sobject.name == "Contact":
        return {"Name": " ".join(part for part in (row["FirstName"], row["LastName"]) if part)}
    if sobject.name == "Opportunity":
        won = _CLOSED_STAGES.get((row["StageName"] or "").lower())
        return {"IsClosed": won is not None, "IsWon": bool(won)}
    if sobject.name in ("OpportunityLineItem", "OrderItem"):
        return _line(row, writes)
    if sobject.name == "PricebookEntry" and row["Product2Id"]:
        product = writes.get(writes.objects["Product2"], row["Product2Id"])
        return {"Name": product["Name"], "ProductCode": product["ProductCode"]} if product else {}
    if sobject.name == "Order":
        # Guess: only Draft and Activated statuses exist, as in a new org.
        if (row["Status"] or "").lower() != "activated":
            # Guess: an order set back to Draft no longer names who activated it or when.
            return {"StatusCode": "Draft", "ActivatedDate": None, "ActivatedById": None}
        # The save that activates the order stamps when and by whom; later saves keep the stamp.
        return {
            "StatusCode": "Activated",
            "ActivatedDate": row.get("ActivatedDate") or row["LastModifiedDate"],
            "ActivatedById": row.get("ActivatedById") or USER_ID,
        }
    return {}


def _line(row: dict, writes: "Writes") -> dict:
    """A line item names its product through its price book entry: the platform fills Product2Id from it."""
    entry = writes.get(writes.objects["PricebookEntry"], row["PricebookEntryId"]) if row["PricebookEntryId"] else None
    product = {"Product2Id": entry["Product2Id"]} if entry else {}
    if row["UnitPrice"] is not None and row["Quantity"]:
        return {**product, "TotalPrice": round(row["UnitPrice"] * row["Quantity"], 2)}
    return product


def check_new(sobject: SObject, row: dict, writes: "Writes") -> None:
    if sobject.name == "Order" and (row.get("Status") or "").lower() != "draft":
        # Guess: the code and wording of refusing an order that does not start in Draft.
        raise SfError(
            400, "FIELD_INTEGRITY_EXCEPTION", "You can't create an order with a status other than Draft.", ("Status",)
        )
    if sobject.name == "OpportunityLineItem":
        if not row.get("PricebookEntryId") and not row.get("Product2Id"):
            raise SfError(
                400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [PricebookEntryId]", ("PricebookEntryId",)
            )
        if row.get("UnitPrice") is not None and row.get("TotalPrice") is not None:
            # Guess: the code of setting both prices (§1.8 says only that it is an error).
            raise SfError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                "Only one of UnitPrice or TotalPrice can be specified.",
                ("UnitPrice", "TotalPrice"),
            )
    if (
        sobject.name == "PricebookEntry"
        and not _is_standard(writes, row["Pricebook2Id"])
        and not _has_standard_price(writes, row["Product2Id"])
    ):
        raise SfError(400, "STANDARD_PRICE_NOT_DEFINED", "Before creating a custom price, create a standard price.")


def _is_standard(writes: "Writes", pricebook_id: str | None) -> bool:
    pricebook = writes.get(writes.objects["Pricebook2"], pricebook_id) if pricebook_id else None
    return bool(pricebook and pricebook["IsStandard"])


def _has_standard_price(writes: "Writes", product_id: str | None) -> bool:
    entries = writes.objects["PricebookEntry"]
    candidates = {
        **writes.store.rows[entries.name],
        **{rid: row for (name, rid), row in writes.staged.items() if name == entries.name},
    }
    return any(
        row["Product2Id"] == product_id and not row["IsDeleted"] and _is_standard(writes, row["Pricebook2Id"])
        for row in candidates.values()
    )
