"""Dynamics 365 F&O as a target: new customers (CustomersV3) and sales orders (SalesOrderHeadersV2 with their
SalesOrderLines), one change set per record, many change sets per `$batch` call.

F&O offers no upsert and no idempotency key, so every write is preceded by a read of what already exists: a
customer by its key (which the mapping chose), an order by the Salesforce id in CustomersOrderReference. An order is
created once: when F&O already holds one for the deal, a deal that changed since is a conflict for a person, not a
second order or a silent overwrite.

Each `$batch` call stands alone: what the calls that answered did is kept, whatever happens to the others. A call
F&O did not answer (a read timeout, a reset, a dropped answer, a gateway's 502/504) may have been applied, or may
still be being applied: a look-up now can find nothing while F&O is still creating the orders, and sending them
again would create them twice. So its records are neither looked up nor sent again (http.NOT_IDEMPOTENT): they come
back **in doubt** until `settle` after the call, when F&O can no longer be processing it; the load loop sends them
only after that, and the look-up before the create then finds what the call did. Customers too: their key is unique
in F&O, but a create re-sent while the first is still running would be refused for a duplicate, and F&O's refusals
carry no error code to tell that from the record's own fault, only infolog text (microsoft.md §3.7). For the same
reason SalesOrderNumber, the orders' key, is not set by the connector to make F&O refuse a second order; it could
only be where every legal entity's sales order number sequence allows manual numbers (§3.3: F&O numbers orders
itself when the number is omitted).
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
from ml_connector_dagster.resources.dynamics_fo.client import (
    MAX_PAGE_SIZE,
    DynamicsFoClient,
    Unanswered,
    Unreachable,
    key_path,
)
from ml_connector_dagster.resources.dynamics_fo.errors import failure

from ml_connector_dagster.http import ApiError, CallCounter
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.odata import literal
from ml_connector_dagster.odata_batch import Operation, PartResponse

CUSTOMERS, SALES_ORDERS = "CustomersV3", "SalesOrderHeadersV2"
CHANGESETS_PER_CALL = 20
KEYS_PER_LOOKUP = 20  # `or` terms per $filter: keeps the URL short
_LINE_FIELDS = ("ItemNumber", "OrderedSalesQuantity", "SalesPrice", "LineDiscountPercentage")
# A keyed URL naming a company other than the app user's default one is out of context without it (microsoft.md
# §3.2); creates need none, the body's dataAreaId picks the company.
CROSS_COMPANY = "?cross-company=true"
# Guess: no Microsoft page gives a time after which F&O has stopped processing an OData request its client gave up on
# (the sheet names none). The nearest Microsoft figure is Business Central's API, which ends a request at 10 minutes
# with a 504. An hour is six times that; waiting longer than needed only delays the ledger and the write-back of what
# the call did, while F&O already holds it.
SETTLE = timedelta(hours=1)

log = dg.get_dagster_logger("dynamics_fo")


class DynamicsFoWriter(DynamicsFoClient):
    """The client as the load loop's TargetWriter (ml_connector_dagster/loading.py); no pair deletes F&O records,
    so it is not a DeletingTargetWriter. `settle`: how long after a call went unanswered F&O may still be
    processing it. `parallelism`: load batches it takes at once, each from its own thread (every method is safe so:
    a batch's records are its own, and the http client is shared safely)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        counter: CallCounter,
        settle: timedelta = SETTLE,
        page_size: int = MAX_PAGE_SIZE,
        parallelism: int = 1,
    ):
        super().__init__(http, counter=counter, page_size=page_size)
        self.settle = settle
        self.parallelism = parallelism

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        if target_object == CUSTOMERS:
            results = _write_customers(self, list(records))
        elif target_object == SALES_ORDERS:
            results = _write_orders(self, list(records))
        else:
            raise ApiError("dynamics_fo", f"writing {target_object} is not part of any pair")
        return [results[r.source_key] for r in records]

    def existing_keys(self, target_object: str, known: Mapping[str, str | None]) -> set[str]:
        """Which records the ledger says were written are in F&O: customers by the key written, orders by the
        deal's reference."""
        if target_object == SALES_ORDERS:
            return set(_orders_by_reference(self, list(known)))
        keys = {source: tuple(target.split("/", 1)) for source, target in known.items() if target and "/" in target}
        found = _customers(self, set(keys.values()))
        return {source for source, key in keys.items() if _folded(key) in found}


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


def _write_customers(client: DynamicsFoWriter, records: list[TargetRecord]) -> dict[str, WriteResult]:
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
    return _send(
        client,
        records,
        changesets,
        lambda record, answer: (
            failure(record.source_key, answer)
            or WriteResult(record.source_key, True, "/".join(_customer_key(record)), created=answer[0].status == 201)
        ),
    )


# sales orders ------------------------------------------------------------------------------------------------------
def _orders_by_reference(client: DynamicsFoClient, references: list[str]) -> dict[str, dict]:
    orders = {}
    for start in range(0, len(references), KEYS_PER_LOOKUP):
        chunk = references[start : start + KEYS_PER_LOOKUP]
        condition = " or ".join(f"CustomersOrderReference eq {literal(ref)}" for ref in chunk)
        for row in client.rows(SALES_ORDERS, filter=condition, expand=("SalesOrderLines",)):
            orders.setdefault(row["CustomersOrderReference"], row)
    return orders


def _write_orders(client: DynamicsFoWriter, records: list[TargetRecord]) -> dict[str, WriteResult]:
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
    return {**results, **_send(client, to_create, changesets, _created_order)}


def _created_order(record: TargetRecord, answer: list[PartResponse]) -> WriteResult:
    header = answer[0].body or {}
    return failure(record.source_key, answer) or WriteResult(
        record.source_key, True, f"{header.get('dataAreaId')}/{header.get('SalesOrderNumber')}", created=True
    )


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
def _send(
    client: DynamicsFoWriter,
    records: list[TargetRecord],
    changesets: list[list[Operation]],
    answered: Callable[[TargetRecord, list[PartResponse]], WriteResult],
) -> dict[str, WriteResult]:
    """Each record's result, its change set (`changesets[i]` is `records[i]`'s) going CHANGESETS_PER_CALL to a
    `$batch` call; `answered` reads F&O's answer to one. The calls after an unanswered one still go: each is its own
    set of transactions."""
    results = {}
    for start in range(0, len(changesets), CHANGESETS_PER_CALL):
        call = records[start : start + CHANGESETS_PER_CALL]
        try:
            answers = client.changesets(changesets[start : start + CHANGESETS_PER_CALL])
        except Unanswered as lost:
            results |= _in_doubt(call, lost, datetime.now(UTC) + client.settle)
        except Unreachable as unsent:
            # F&O answered the look-up a moment ago and now takes no connection: the rest of the pass would only
            # repeat the http layer's retries. Nothing of it was sent, so the next run sends it as usual.
            log.warning("%s; %d records not sent", unsent, len(records) - start)
            reason = str(unsent)
            results |= {
                r.source_key: WriteResult(r.source_key, False, error_class=ErrorClass.TRANSIENT, error_message=reason)
                for r in records[start:]
            }
            break
        else:
            results |= {r.source_key: answered(r, answer) for r, answer in zip(call, answers, strict=True)}
    return results


def _in_doubt(records: list[TargetRecord], lost: Unanswered, after: datetime) -> dict[str, WriteResult]:
    """The records of a call F&O did not answer: failed, in doubt until `after`, neither looked up nor re-sent."""
    when = f"{after:%Y-%m-%d %H:%M:%S} UTC"
    keys = [r.source_key for r in records]
    log.warning(
        "%s. F&O may have applied these %d change sets or may still be applying them, so they are neither looked up "
        "now nor sent again: in doubt until %s, when a later load looks them up and creates only what F&O lacks (%s)",
        lost,
        len(keys),
        when,
        ", ".join(keys),
    )
    message = (
        f"{lost}. The write may have happened; its outcome is resolved after {when}, when F&O can no longer be "
        "processing it: the record is then looked up and only what F&O lacks is created"
    )
    return {
        key: WriteResult(
            key,
            False,
            error_class=ErrorClass.IN_DOUBT,
            error_code=lost.cause,
            error_message=message,
            resolve_after=after,
        )
        for key in keys
    }


def _folded(key: tuple[str, str]) -> tuple[str, str]:
    """F&O compares keys without regard to case."""
    return key[0].lower(), key[1].upper()


def _number(value) -> object:
    return round(float(value), 6) if isinstance(value, (int, float)) else str(value).upper()
