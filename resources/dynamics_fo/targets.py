"""Dynamics 365 F&O as a target: new customers (CustomersV3) and sales orders (SalesOrderHeadersV2 with their
SalesOrderLines), one change set per record, many change sets per `$batch` call.

F&O offers no upsert and no idempotency key, so every write is preceded by a read of what already exists: a
customer by its key (which the mapping chose), an order by the Salesforce id in CustomersOrderReference. A `$batch`
whose answer was lost may have been applied: it is never sent again blind (http.NOT_IDEMPOTENT); the records are
looked up again and only what F&O still lacks is created. An order is created once: when F&O already holds one for
the deal, a deal that changed since is a conflict for a person, not a second order or a silent overwrite.
"""

from collections.abc import Callable, Mapping, Sequence

import httpx
from ml_connector_dagster.resources.dynamics_fo.client import DynamicsFoClient, key_path
from ml_connector_dagster.resources.dynamics_fo.errors import failure

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.odata import literal
from ml_connector_dagster.odata_batch import Operation, PartResponse

CUSTOMERS, SALES_ORDERS = "CustomersV3", "SalesOrderHeadersV2"
CHANGESETS_PER_CALL = 20
KEYS_PER_LOOKUP = 20  # `or` terms per $filter: keeps the URL short
ATTEMPTS = 3  # a lost answer is looked up and the rest re-sent this many times before the run fails
_LINE_FIELDS = ("ItemNumber", "OrderedSalesQuantity", "SalesPrice", "LineDiscountPercentage")
# A keyed URL naming a company other than the app user's default one is out of context without it (microsoft.md
# §3.2); creates need none, the body's dataAreaId picks the company.
CROSS_COMPANY = "?cross-company=true"


class DynamicsFoWriter(DynamicsFoClient):
    """The client as the load loop's TargetWriter (ml_connector_dagster/loading.py); no pair deletes F&O records,
    so it is not a DeletingTargetWriter."""

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        if target_object == CUSTOMERS:
            return _until_answered(records, lambda pending: _write_customers(self, pending))
        if target_object == SALES_ORDERS:
            return _until_answered(records, lambda pending: _write_orders(self, pending))
        raise ApiError("dynamics_fo", f"writing {target_object} is not part of any pair")

    def existing_keys(self, target_object: str, known: Mapping[str, str | None]) -> set[str]:
        """Which records the ledger says were written are in F&O: customers by the key written, orders by the
        deal's reference."""
        if target_object == SALES_ORDERS:
            return set(_orders_by_reference(self, list(known)))
        keys = {source: tuple(target.split("/", 1)) for source, target in known.items() if target and "/" in target}
        found = _customers(self, set(keys.values()))
        return {source for source, key in keys.items() if _folded(key) in found}


def _until_answered(
    records: Sequence[TargetRecord], write: Callable[[list[TargetRecord]], dict[str, WriteResult]]
) -> list[WriteResult]:
    pending, results = list(records), {}
    for attempt in range(1, ATTEMPTS + 1):
        try:
            results.update(write(pending))
            return [results[r.source_key] for r in records]
        except httpx.TransportError as lost:
            if attempt == ATTEMPTS:
                raise ApiError(
                    "dynamics_fo",
                    f"no answer to {ATTEMPTS} $batch calls ({type(lost).__name__}); "
                    "rerun the partition: what F&O applied is found, not written twice",
                ) from lost
            # Whatever of the batch F&O applied is found by the next pass's lookup.
            pending = [r for r in pending if r.source_key not in results]


# customers ---------------------------------------------------------------------------------------------------------
def _customer_key(record: TargetRecord) -> tuple[str, str]:
    return record.payload["dataAreaId"], record.payload["CustomerAccount"]


def _customers(client: DynamicsFoClient, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (company, account) pairs of `keys` that exist, folded as F&O compares keys."""
    found = set()
    for company in sorted({company for company, _ in keys}):
        numbers = sorted(number for c, number in keys if c == company)
        for start in range(0, len(numbers), KEYS_PER_LOOKUP):
            condition = " or ".join(
                f"CustomerAccount eq {literal(n)}" for n in numbers[start : start + KEYS_PER_LOOKUP]
            )
            found |= {
                _folded((row["dataAreaId"], row["CustomerAccount"]))
                for row in client.rows(
                    CUSTOMERS, select=("dataAreaId", "CustomerAccount"), filter=condition, company=company
                )
            }
    return found


def _write_customers(client: DynamicsFoClient, records: list[TargetRecord]) -> dict[str, WriteResult]:
    present = _customers(client, {_customer_key(r) for r in records})
    changesets = []
    for record in records:
        company, number = _customer_key(record)
        if _folded((company, number)) in present:
            changes = {k: v for k, v in record.payload.items() if k not in ("dataAreaId", "CustomerAccount")}
            key = key_path(CUSTOMERS, {"dataAreaId": company, "CustomerAccount": number})
            changesets.append([Operation("PATCH", key + CROSS_COMPANY, changes)])
        else:
            changesets.append([Operation("POST", CUSTOMERS, record.payload)])
    results = {}
    for record, answer in zip(records, _send(client, changesets), strict=True):
        failed = failure(record.source_key, answer)
        results[record.source_key] = failed or WriteResult(
            record.source_key, True, "/".join(_customer_key(record)), created=answer[0].status == 201
        )
    return results


# sales orders ------------------------------------------------------------------------------------------------------
def _orders_by_reference(client: DynamicsFoClient, references: list[str]) -> dict[str, dict]:
    orders = {}
    for start in range(0, len(references), KEYS_PER_LOOKUP):
        chunk = references[start : start + KEYS_PER_LOOKUP]
        condition = " or ".join(f"CustomersOrderReference eq {literal(ref)}" for ref in chunk)
        for row in client.rows(SALES_ORDERS, filter=condition, expand=("SalesOrderLines",)):
            orders.setdefault(row["CustomersOrderReference"], row)
    return orders


def _write_orders(client: DynamicsFoClient, records: list[TargetRecord]) -> dict[str, WriteResult]:
    existing = _orders_by_reference(client, [r.source_key for r in records])
    results, to_create = {}, []
    for record in records:
        order = existing.get(record.source_key)
        if order is None:
            to_create.append(record)
        else:
            results[record.source_key] = _held(record, order)
    changesets = [
        [
            Operation("POST", SALES_ORDERS, r.payload["header"]),
            *(Operation("POST", "$1/SalesOrderLines" + CROSS_COMPANY, line) for line in r.payload["lines"]),
        ]
        for r in to_create
    ]
    for record, answer in zip(to_create, _send(client, changesets), strict=True):
        header = answer[0].body or {}
        results[record.source_key] = failure(record.source_key, answer) or WriteResult(
            record.source_key, True, f"{header.get('dataAreaId')}/{header.get('SalesOrderNumber')}", created=True
        )
    return results


def _held(record: TargetRecord, order: dict) -> WriteResult:
    """The deal already has its order: the same one (an answer lost earlier) is success, a different one a
    conflict."""
    key = f"{order['dataAreaId']}/{order['SalesOrderNumber']}"
    wanted = sorted(tuple(_number(line.get(f, 0)) for f in _LINE_FIELDS) for line in record.payload["lines"])
    held = sorted(tuple(_number(line.get(f, 0)) for f in _LINE_FIELDS) for line in order.get("SalesOrderLines", []))
    header = record.payload["header"]
    same_customer = (order["dataAreaId"].lower(), order["OrderingCustomerAccountNumber"].upper()) == (
        header["dataAreaId"].lower(),
        header["OrderingCustomerAccountNumber"].upper(),
    )
    if wanted == held and same_customer:
        return WriteResult(record.source_key, True, key, created=False)
    return WriteResult(
        record.source_key,
        False,
        key,
        error_class=ErrorClass.CONFLICT,
        error_code="ORDER_EXISTS",
        error_message=f"F&O sales order {key} was created from this deal, which has changed since "
        "(customer or lines); orders are created once: change the order in F&O",
    )


# transport ---------------------------------------------------------------------------------------------------------
def _send(client: DynamicsFoClient, changesets: list[list[Operation]]) -> list[list[PartResponse]]:
    answers = []
    for start in range(0, len(changesets), CHANGESETS_PER_CALL):
        answers += client.changesets(changesets[start : start + CHANGESETS_PER_CALL])
    return answers


def _folded(key: tuple[str, str]) -> tuple[str, str]:
    """F&O compares keys without regard to case."""
    return key[0].lower(), key[1].upper()


def _number(value) -> object:
    return round(float(value), 6) if isinstance(value, (int, float)) else str(value).upper()
