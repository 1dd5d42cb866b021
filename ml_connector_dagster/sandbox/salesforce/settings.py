"""The Salesforce emulator's knobs (crm_targets.md §4.1, §4.4: every limit, lifetime, page size and delay)."""

from pydantic import Field

from ml_connector_dagster.sandbox.emulator import EmulatorSettings
from ml_connector_dagster.sandbox.salesforce.auth import CLIENT_ID, CLIENT_SECRET
from ml_connector_dagster.sandbox.salesforce.schema import DEFAULT_EXTERNAL_IDS


class SalesforceSettings(EmulatorSettings):
    clients: dict[str, str] = Field(
        default={CLIENT_ID: CLIENT_SECRET},
        description="connected apps: consumer key → "
        "consumer secret, each with a run-as user for the client-credentials flow",
    )
    token_lifetime_seconds: float = Field(
        default=7200,
        gt=0,
        description="session timeout: a token lapses after this long unused (the org's default is 2 hours)",
    )
    external_id_fields: dict[str, list[str]] = Field(
        default=DEFAULT_EXTERNAL_IDS, description="sObject → its custom External ID fields (Text(100))"
    )
    unique_external_ids: bool = Field(
        default=True,
        description="whether those fields are also Unique; when not, "
        "several records may share a value and upserts on it answer 300",
    )
    daily_api_requests: int = Field(default=15000, ge=1, description="DailyApiRequests Max")
    query_batch_size: int = Field(
        default=2000,
        ge=1,
        le=2000,
        description="records per SOQL page unless the client's Sforce-Query-Options asks for fewer",
    )
    pre_v46_upsert: bool = Field(
        default=False,
        description="answer an upsert that updates with 204 and no body, "
        "as before API v46.0, instead of 200 with created: false",
    )
    bulk_processing_seconds: float = Field(
        default=0, ge=0, description="clock seconds a closed Bulk API 2.0 job stays InProgress before it is processed"
    )
    lock_row_fraction: float = Field(
        default=0,
        ge=0,
        le=1,
        description="share of record updates refused with "
        "UNABLE_TO_LOCK_ROW (drawn from the emulator's seed), to exercise retries",
    )
    pubsub_keepalive_seconds: float = Field(
        default=270,
        gt=0,
        description="Pub/Sub API: an idle subscription "
        "gets an empty FetchResponse this often (real seconds, not the clock)",
    )
    change_data_capture_unselected: list[str] = Field(
        default=[],
        description="objects an administrator has not selected for Change Data Capture (Setup > Change Data "
        "Capture): their changes publish no event, their topic is not found, and the standard channel's "
        "PlatformEventChannelMember rows (Tooling API) leave them out. Every object is selected by default",
    )
    event_retention_hours: float = Field(
        default=72,
        gt=0,
        description="Pub/Sub API: change events older than this on the emulator's clock can no longer be replayed",
    )
