"""The Procore emulator's knobs (crm_targets.md §4.3, §4.4: every limit, lifetime, page size and delay). Where the
reference marks a behaviour uncertain, the default is the reference's best reading and the knob is the other one."""

from typing import Literal

from pydantic import Field

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.emulator import EmulatorSettings

Level = Literal["none", "read_only", "standard", "admin"]
# The tools a DMSA app's manifest can be granted, as the emulator names them (Procore grants per tool: Directory,
# Commitments, Admin for cost codes, ...); each API route belongs to one.
TOOLS = ("projects", "directory", "cost_codes", "commitments", "requisitions", "change_orders", "webhooks")
# How Procore names each level (permission templates, the permission manifest).
LEVEL_NAMES = {"none": "None", "read_only": "Read Only", "standard": "Standard", "admin": "Admin"}
# Procore's Purchase Order statuses, as the reference lists them (Draft, Processing, Submitted, Partially Received,
# Received, Approved, Closed), in the API's snake case. Subcontracts (work order contracts) have others: out_for_bid,
# out_for_signature, complete, terminated, void; a purchase order has none of those.
PURCHASE_ORDER_STATUSES = ("draft", "processing", "submitted", "partially_received", "received", "approved", "closed")


class ProcoreSettings(EmulatorSettings):
    client_id: str = Field(default=SANDBOX.procore_client_id, description="the DMSA app's OAuth client id")
    client_secret: str = Field(default=SANDBOX.procore_client_secret, description="the DMSA app's client secret")
    company_id: int = Field(default=SANDBOX.procore_company_id, description="the company the app is installed in")
    company_name: str = Field(default="Vision Construction", description="that company's name")
    installed: bool = Field(
        default=True,
        description="whether the DMSA app is (still) installed in the company: uninstalled, the company is not among "
        "the app's companies and every call for it is refused",
    )
    token_lifetime_seconds: float = Field(default=5400, gt=0, description="`expires_in` of an access token (90 min)")
    tools: dict[str, Level] = Field(
        default={tool: "admin" for tool in TOOLS},
        description="the permission the app's manifest grants on each tool (projects, directory, cost_codes, "
        "commitments, requisitions, change_orders, webhooks); reads need read_only, writes standard, webhooks admin; "
        "a tool missing here is `none`",
    )
    project_ids: list[int] | None = Field(
        default=None, description="the projects the service account was added to (None: every project of the company)"
    )
    default_per_page: int = Field(default=100, ge=1, description="`per_page` when the call names none (uncertain)")
    max_per_page: int = Field(default=10000, ge=1, description="largest `per_page`; a larger one is capped to it")
    max_sync_updates: int = Field(default=1000, ge=1, description="entries one sync action takes; more → 413")
    refuse_unknown_fields: bool = Field(
        default=True,
        description="an attribute the resource does not have is refused (406 on create/update, a per-entry error in "
        "a sync), as the reference's 406 'request references non-existent fields' reads; false: ignored",
    )
    purchase_order_statuses: list[str] = Field(
        default=list(PURCHASE_ORDER_STATUSES), description="statuses a purchase order contract may take"
    )
    line_items_locked_statuses: list[str] = Field(
        default=["approved", "closed"],
        description="Guess: contract statuses in which the schedule of values can no longer be edited (Procore "
        "changes an approved commitment through change orders); empty: never locked",
    )
    rate_limits: bool = Field(default=True, description="enforce the hourly limit (headers are always sent)")
    hourly_limit: int = Field(default=3600, ge=1, description="requests per hour per app and company")
    rate_window_seconds: float = Field(default=3600, gt=0, description="length of the rate-limit window")
    spike_limit: bool = Field(
        default=True,
        description="enforce the spike limit. Uncertain (§3.4). The window runs on the emulator clock: with a "
        "frozen clock, turn it off or move the clock",
    )
    spike_requests: int = Field(default=25, ge=1, description="requests allowed within `spike_seconds`")
    spike_seconds: float = Field(default=10, gt=0)
    webhook_timeout_seconds: float = Field(default=5, gt=0, description="how long one delivery POST may take")
    webhook_backoff_seconds: float = Field(default=1, gt=0, description="first wait after a failed delivery")
    webhook_backoff_max_seconds: float = Field(default=3600, gt=0, description="longest wait between attempts")
    webhook_timescale: float = Field(
        default=1.0,
        gt=0,
        description="real seconds per backoff second (0.001: a 1 s backoff waits 1 ms), so tests see retries fast",
    )
    webhook_flush_after_seconds: float = Field(
        default=86400,
        gt=0,
        description="emulator-clock seconds of failures after which a destination's queue is flushed and its "
        "events marked failed",
    )
    webhook_duplicates: bool = Field(
        default=False, description="fault knob: deliver every event twice (same ulid), as at-least-once delivery can"
    )
    webhook_hold: bool = Field(
        default=False,
        description="fault knob: keep new events back, unsent, until `webhooks.release` sends them (newest first if "
        "asked), as delayed deliveries reach a receiver out of order",
    )
