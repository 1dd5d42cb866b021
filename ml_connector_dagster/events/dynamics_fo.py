"""Dynamics 365 F&O Business Events over an HTTPS endpoint (microsoft.md §3.9): one JSON envelope per POST, sent at
least once and possibly out of order. `ControlNumber` (int64, increasing with gaps) with `EventId` (GUID) identify
an event across retries and resends, so they are its deduplication key. The envelope names the event, the legal
entity and the record's identifiers only: the record itself is read back over OData by the extract.

The envelope's fields are checked to their documented types. Only the four the connector uses are required; the
others are checked when present, so an event of a catalog that leaves one out is still taken."""

from typing import Annotated

from pydantic import Field, StrictStr

from ml_connector_dagster.events.envelope import INT32, INT64, ISO_DATE_TIME, Envelope, Event, validated

GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"


class BusinessEvent(Envelope):
    BusinessEventId: Annotated[StrictStr, Field(min_length=1)]  # the event's class name
    # Guess: F&O carries over AX 2012's company id (EDT CompanyId / LegalEntityDataAreaId, string size 4).
    BusinessEventLegalEntity: Annotated[StrictStr, Field(min_length=1, max_length=4)]
    ControlNumber: INT64
    EventId: Annotated[StrictStr, Field(pattern=f"^{GUID}$")]  # upper case, no braces; a lower-case one is taken
    ContextRecordSubject: StrictStr | None = None
    EventTime: Annotated[StrictStr, Field(pattern=r"^/Date\(-?[0-9]{1,15}\)/$")] | None = None  # .NET JSON date, ms
    EventTimeIso8601: ISO_DATE_TIME | None = None
    InitiatingUserAADObjectId: Annotated[StrictStr, Field(pattern=rf"^\{{{GUID}\}}$")] | None = None  # with braces
    MajorVersion: INT32 | None = None
    MinorVersion: INT32 | None = None
    ParentContextRecordSubjects: list | None = None


def parse(body: object) -> list[Event]:
    event = validated(BusinessEvent, body, "a business event envelope")
    return [Event(f"{event.ControlNumber}/{event.EventId.upper()}", body)]


def legal_entity(payload: dict) -> str:
    """The partition (dataAreaId, lower case as F&O stores it) an event's record belongs to."""
    return str(payload["BusinessEventLegalEntity"]).lower()
