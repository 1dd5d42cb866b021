"""The Zoho CRM emulator's knobs (crm_targets.md §4.2, §4.4: every limit, lifetime, page size and delay). Where the
reference marks a behaviour uncertain, the default is the reference's best reading and the knob is the other one."""

from pydantic import Field

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.emulator import EmulatorSettings

# The data centres of crm_targets.md §2.1: each is a path prefix on the emulator's one port (`/accounts/<dc>`,
# `/api/<dc>`), standing for its accounts server and API domain.
DATA_CENTRES = ("us", "eu", "in", "au", "jp", "ca", "sa", "cn")
ALL_SCOPES = "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.notifications.ALL ZohoCRM.users.READ ZohoCRM.org.READ"


class ZohoCrmSettings(EmulatorSettings):
    client_id: str = Field(default=SANDBOX.zoho_client_id, description="the self client's id, one for every DC")
    client_secret: str = Field(default=SANDBOX.zoho_client_secret, description="the self client's secret")
    refresh_tokens: dict[str, str] = Field(
        default={"us": SANDBOX.zoho_refresh_token, "eu": SANDBOX.zoho_eu_refresh_token},
        description="data centre → the refresh token of its org; an org exists for each DC named here",
    )
    time_zones: dict[str, str] = Field(
        default={"us": "America/Los_Angeles", "eu": "Europe/Berlin"},
        description="data centre → the org's time zone: date-times are written with its offset (UTC if absent)",
    )
    missing_fields: list[str] = Field(
        default=[],
        description="custom fields (`Accounts.JDE_Address_Number`) the administrator has not created: "
        "GET settings/fields leaves them out",
    )
    scopes: str = Field(default=ALL_SCOPES, description="the scopes the refresh tokens were granted")
    oauth_errors_with_200: bool = Field(
        default=True,
        description="send the accounts server's error bodies (`invalid_code`, `invalid_client`) with HTTP 200, as "
        "Zoho is widely reported to do (uncertain); 400 when false",
    )
    access_token_lifetime_seconds: float = Field(default=3600, gt=0, description="`expires_in` of an access token")
    access_tokens_per_refresh_token: int = Field(
        default=30, ge=1, description="live access tokens per refresh token; a new one past this deletes the oldest"
    )
    refresh_throttle_count: int = Field(
        default=0,
        ge=0,
        description="refreshes allowed per refresh token within `refresh_throttle_seconds` (0: no throttling). "
        "Zoho's figure (about 10 per 10 minutes) is uncertain, so the sandbox does not throttle by default",
    )
    refresh_throttle_seconds: float = Field(default=600, gt=0)
    max_fields: int = Field(default=50, ge=1, description="field API names one GET records may ask for")
    max_per_page: int = Field(default=200, ge=1, description="largest `per_page`")
    page_limit_records: int = Field(
        default=2000, ge=1, description="records reachable with `page`; beyond them only `page_token` reads on"
    )
    page_token_lifetime_seconds: float = Field(default=86400, gt=0, description="how long a `next_page_token` lives")
    not_modified_status: int = Field(
        default=304,
        description="what GET records with If-Modified-Since answers when nothing changed: 304 per the docs, 204 as "
        "some deployments are reported to (uncertain)",
    )
    max_ids: int = Field(default=100, ge=1, description="record ids one GET records may name (`ids`)")
    max_write_records: int = Field(default=100, ge=1, description="records one insert, update or upsert may carry")
    max_criteria: int = Field(default=10, ge=1, description="conditions one search `criteria` may combine")
    search_limit: int = Field(default=2000, ge=1, description="records a search query can reach")
    search_delay_seconds: float = Field(
        default=0,
        ge=0,
        description="clock seconds before a written record becomes searchable (Zoho indexes for search after the "
        'write: "may take a moment")',
    )
    daily_credits: int = Field(default=50000, ge=1, description="API credits per org over a rolling 24 h window")
    credit_costs: dict[str, int] = Field(
        default={"default": 1},
        description="credits one call costs, by kind (`default`, `search`, `upsert`, `insert`, `update`, `read`, "
        "`delete`, `watch`); Zoho charges 1 for most calls and publishes no higher price for these (guess)",
    )
    credits_exhausted_status: int = Field(
        default=429,
        description="Guess (Zoho documents no body for spent credits): the status of a call refused for credits",
    )
    credits_exhausted_code: str = Field(
        default="LIMIT_REACHED",
        description="Guess: the `code` of that refusal; LIMIT_REACHED is the code Zoho's SDKs know for a spent "
        "allowance, kept apart from the concurrency cap's TOO_MANY_REQUESTS",
    )
    concurrency_limit: int = Field(
        default=20, ge=1, description="in-flight API calls per app and user (Enterprise: 20; uncertain figures)"
    )
    sub_concurrency_limit: int = Field(
        default=10, ge=1, description="in-flight heavy calls (search, writes of more than 10 records) per app and user"
    )
    request_seconds: float = Field(
        default=0, ge=0, description="real seconds each API call takes once admitted (to exercise the caps)"
    )
    channel_max_expiry_seconds: float = Field(default=7 * 86400, gt=0, description="the longest a watch channel lives")
    channel_default_expiry_seconds: float = Field(
        default=3600, gt=0, description="a channel's life when `channel_expiry` is missing or past the maximum"
    )
    callback_timeout_seconds: float = Field(default=5, gt=0, description="how long one callback POST may take")
    drop_callbacks: bool = Field(default=False, description="fault knob: record callbacks as sent, send none")
    duplicate_callbacks: bool = Field(default=False, description="fault knob: deliver every callback twice")
