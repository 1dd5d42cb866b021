"""JDE as a target: customers and contacts through the connector's orchestrations (the contract in
docs/operators/jde.md; erp_sources.md §3.3), one record per call, since an orchestration takes one set of inputs.

A payload holding `AddressNumber` (customer) or `LineNumber` (contact) updates that record; one without creates it.
A create has no key JDE dedupes on, so it is sent once (http.NOT_IDEMPOTENT): a create whose answer is lost is in
doubt, not re-sent; its result says to look for a duplicate in JDE before it is replayed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from ml_connector_dagster.resources.jde.client import JdeClient
from ml_connector_dagster.resources.jde.errors import ERRORS, error_of

from ml_connector_dagster.http import NOT_IDEMPOTENT, UNSENT_ERRORS, ApiError, raise_for_vendor
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord, WriteResult

# A form refusal: AIS answers 500 with a ServiceErrorResponse [guess: the body of a failed form request in an
# orchestration is not documented]; a 200 with jde__status ERROR (Tools 9.2.5.4+) is read the same way.
REFUSED = 500
# Guess: an orchestration runs synchronously inside the AIS request; no page names how long AIS may go on with one
# whose client gave up. Ten minutes is well past any AIS/WebLogic request timeout in practice.
SETTLE = timedelta(minutes=10)


@dataclass(frozen=True)
class Orchestrations:
    add_customer: str = "MLC_AddCustomer"
    update_customer: str = "MLC_UpdateCustomer"
    add_contact: str = "MLC_AddContact"
    update_contact: str = "MLC_UpdateContact"


class JdeWriter(JdeClient):
    """The client as the load loop's TargetWriter for target objects `customer` and `contact`."""

    def __init__(self, http: httpx.Client, *, orchestrations: Orchestrations, company: str, **options):
        super().__init__(http, **options)
        self.orchestrations = orchestrations
        self.company = company

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        if target_object not in ("customer", "contact"):
            raise ApiError("jde", f"writing {target_object} is not part of any pair")
        return [self._write(target_object, record) for record in records]

    def existing_keys(self, target_object: str, known: Mapping[str, str | None]) -> set[str]:
        """Which records the ledger says were written are in JDE: customers by AddressNumber in F0101, contacts by
        `<AN8>.<IDLN>` in F0111."""
        targets = {source: target for source, target in known.items() if target}
        if target_object == "customer":
            found = {
                str(row["AN8"]) for row in self.by_keys("F0101", ["AN8"], "AN8", [int(t) for t in targets.values()])
            }
        else:
            numbers = [int(target.split(".")[0]) for target in targets.values()]
            found = {f"{row['AN8']}.{row['IDLN']}" for row in self.by_keys("F0111", ["AN8", "IDLN"], "AN8", numbers)}
        return {source for source, target in targets.items() if target in found}

    def orchestration_described(self, orchestration: str) -> dict:
        """The orchestration's OpenAPI description from AIS's catalog (erp_sources.md §3.3); an ApiError when AIS
        has none for this user."""
        response = self.http.get(
            f"/jderest/v3/open-api-catalog3/{orchestration}", headers={"Accept": "application/json"}
        )
        return raise_for_vendor(ERRORS, response, f"catalog of {orchestration}").json()

    def run(self, orchestration: str, inputs: dict[str, str], *, creates: bool) -> httpx.Response:
        """One orchestration call with generic (flat JSON) inputs."""
        return self.http.post(
            f"/jderest/v3/orchestrator/{orchestration}",
            json=inputs,
            headers={"Accept": "application/json"},
            extensions=NOT_IDEMPOTENT if creates else {},
        )

    def _write(self, target_object: str, record: TargetRecord) -> WriteResult:
        inputs = {name: str(value) for name, value in record.payload.items() if value is not None}
        if target_object == "customer":
            creates = "AddressNumber" not in inputs
            name = self.orchestrations.add_customer if creates else self.orchestrations.update_customer
            if creates:
                inputs.setdefault("Company", self.company)
        else:
            creates = "LineNumber" not in inputs
            name = self.orchestrations.add_contact if creates else self.orchestrations.update_contact
        try:
            response = self.run(name, inputs, creates=creates)
        except UNSENT_ERRORS:
            raise  # nothing was sent: the run fails and its rerun sends the batch again
        except httpx.TransportError as lost:
            return _lost(record, name, lost, creates)
        answer = _json(response)
        if response.status_code == REFUSED or (response.status_code == 200 and answer.get("jde__status") == "ERROR"):
            code, message = error_of(answer)
            return WriteResult(
                record.source_key,
                False,
                error_class=ErrorClass.VALIDATION,
                error_code=code,
                error_message=message or answer.get("jde__simpleMessage") or f"{name} refused the record",
            )
        raise_for_vendor(ERRORS, response, f"orchestration {name}")
        number = answer.get("AddressNumber") or inputs.get("AddressNumber")
        target_id = (
            str(number)
            if target_object == "customer"
            else f"{inputs['AddressNumber']}.{answer.get('LineNumber') or inputs.get('LineNumber')}"
        )
        return WriteResult(record.source_key, True, target_id, created=creates)


def _lost(record: TargetRecord, name: str, lost: httpx.TransportError, creates: bool) -> WriteResult:
    if not creates:
        # An update sent again writes the same values: the next run simply sends it.
        return WriteResult(record.source_key, False, error_class=ErrorClass.TRANSIENT, error_message=f"{name}: {lost}")
    after = datetime.now(UTC) + SETTLE
    return WriteResult(
        record.source_key,
        False,
        error_class=ErrorClass.IN_DOUBT,
        error_code=type(lost).__name__,
        error_message=f"{name} sent, no answer came back ({lost}): JDE may have created the record; check the "
        "address book for it before this record is replayed, or it is created twice",
        resolve_after=after,
    )


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
