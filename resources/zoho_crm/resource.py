"""The `zoho_crm` resource: one Zoho CRM org reached with a self client's refresh token (docs/operators/zoho_crm.md)."""

from contextlib import ExitStack, closing
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
from ml_connector_dagster.resources.zoho_crm.auth import ZohoRefreshToken
from ml_connector_dagster.resources.zoho_crm.client import ZohoCrmClient
from ml_connector_dagster.resources.zoho_crm.credits import CreditsTransport
from ml_connector_dagster.resources.zoho_crm.fit import CHECKS
from pydantic import Field, field_validator

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.session_resource import BudgetedResource, http_url
from ml_connector_dagster.systems import sandbox_urls

DataCentre = Literal["us", "eu", "in", "au", "jp", "ca", "sa", "cn"]

# crm_targets.md §2.1; Canada's is accounts.zohocloud.ca, not accounts.zoho.ca (marked uncertain there)
ACCOUNTS_URLS: dict[str, str] = {
    "us": "https://accounts.zoho.com",
    "eu": "https://accounts.zoho.eu",
    "in": "https://accounts.zoho.in",
    "au": "https://accounts.zoho.com.au",
    "jp": "https://accounts.zoho.jp",
    "ca": "https://accounts.zohocloud.ca",
    "sa": "https://accounts.zoho.sa",
    "cn": "https://accounts.zoho.com.cn",
}


class ZohoCrmResource(BudgetedResource):
    """Connection to one Zoho CRM org (docs/operators/zoho_crm.md)."""

    system = "zoho_crm"
    fit_checks = CHECKS
    secrets = frozenset({"client_secret", "refresh_token", "channel_token", "budget_url"})

    data_centre: DataCentre = Field(
        default="us", description="the Zoho data centre that holds the org: its accounts server issues the tokens"
    )
    accounts_url: str | None = Field(
        default=None,
        description="the accounts (OAuth) server; by default the data centre's, e.g. https://accounts.zoho.eu",
    )
    client_id: str = Field(description="client id of the self client (api-console.zoho.com)")
    client_secret: str = Field(description="its client secret; set it with dg.EnvVar, never inline", repr=False)
    refresh_token: str = Field(
        description="refresh token the self client issued for the org (scopes ZohoCRM.modules.ALL, "
        "ZohoCRM.settings.READ, ZohoCRM.notifications.ALL)",
        repr=False,
    )
    api_version: str = Field(default="v8", pattern=r"^v\d+$", description="REST API version, e.g. v8")
    page_size: int = Field(default=200, ge=1, le=200, description="records per read call (Zoho allows at most 200)")
    batch_size: int = Field(
        default=1000, ge=1, description="records per load batch; a batch is sent as calls of 100 records"
    )
    credit_reserve: int = Field(
        default=1000,
        ge=0,
        description="API credits to leave the org's other integrations and users: every run against the org stops "
        "when no more than this many remain, as far as Zoho's answers say (they may not: then the runs stop when Zoho "
        "says the credits are spent, and ask again after credits_recheck_seconds)",
    )
    credits_recheck_seconds: float = Field(
        default=900,
        ge=0,
        description="how long what Zoho last said of the org's credits stands for every run: runs started within it "
        "of spent credits send nothing; after it, the next run asks Zoho again (0: every run asks)",
    )
    max_concurrent_requests: int = Field(
        default=10,
        ge=1,
        le=25,
        description="API calls in flight at once for this app and user, every run together: Zoho caps them by "
        "edition (Free 5, Standard 10, Professional 15, Enterprise 20, Ultimate 25; uncertain figures) and heavy "
        "calls (search, writes of more than 10 records) at 10",
    )
    max_parallel_batches: int = Field(
        default=8,
        ge=1,
        le=25,
        description="load batches in flight at once, and write calls (of 100 records; a batch's are sent side by "
        "side) in flight at once, within max_concurrent_requests",
    )
    notify_url: str | None = Field(
        default=None,
        description="where Zoho posts change notifications: the webhook receiver's public URL + /webhooks/zoho_crm; "
        "unset, the channel renewal job does nothing",
    )
    channel_id: int = Field(
        default=1207000000000001, gt=0, description="the notification channel's id (a number of your choosing)"
    )
    channel_token: str | None = Field(
        default=None,
        max_length=50,
        description="token Zoho sends back in every notification, the receiver's key for zoho_crm (at most 50 "
        "characters)",
        repr=False,
    )

    @field_validator("accounts_url", "notify_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        return http_url(value, "https://accounts.zoho.eu")

    @classmethod
    def environment_variable(cls, field: str) -> str:
        # The channel token is the webhook receiver's key for zoho_crm too: one variable, so they cannot differ.
        return "ZOHO_CRM_WEBHOOK_KEY" if field == "channel_token" else super().environment_variable(field)

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> "ZohoCrmResource":
        # A stack that serves no Zoho emulator still builds every resource: this one then names the fixed port.
        zoho = urls.get("zoho_crm", sandbox_urls()["zoho_crm"])
        return cls(
            **{
                "accounts_url": f"{zoho}/accounts/us",
                "client_id": SANDBOX.zoho_client_id,
                "client_secret": SANDBOX.zoho_client_secret,
                "refresh_token": SANDBOX.zoho_refresh_token,
                "channel_token": SANDBOX.zoho_webhook_token,
                **overrides,
            }
        )

    def connect(self, stack: ExitStack, transport: httpx.BaseTransport | None = None) -> ZohoCrmClient:
        """The client; `transport` replaces the network (tests)."""
        auth = stack.enter_context(
            closing(
                ZohoRefreshToken(
                    accounts_url=self.accounts_url or ACCOUNTS_URLS[self.data_centre],
                    data_centre=self.data_centre,
                    client_id=self.client_id,
                    client_secret=self.client_secret,
                    refresh_token=self.refresh_token,
                    settings=self.settings_to_check("client_id", "client_secret", "refresh_token"),
                    data_centre_setting=self.settings_to_check("data_centre"),
                    retry=self.retry_policy(),
                    transport=transport,
                )
            )
        )
        auth.token()  # the API's host is only known from the token answer
        counter = CallCounter()
        org = f"{auth.api_domain} {self.client_id}"  # credits count per org, concurrency per app and user (§2.6)
        credits = CreditsTransport(
            transport or httpx.HTTPTransport(),
            allowance=self.allowance(org, fresh_seconds=self.credits_recheck_seconds),
            reserve=self.credit_reserve,
        )
        http = self.http_client(
            f"{auth.api_domain}/crm/{self.api_version}",
            auth=auth,
            counter=counter,
            headers={"Accept": "application/json"},
            # Guess: one self client is one user's grant, so its client id names the app and user Zoho counts by.
            slots=self.concurrency(org, self.max_concurrent_requests),
            transport=credits,
        )
        return stack.enter_context(
            closing(
                ZohoCrmClient(
                    http,
                    counter=counter,
                    page_size=self.page_size,
                    api_domain=auth.api_domain,
                    credits=credits,
                    parallelism=self.max_parallel_batches,
                )
            )
        )

    def check(self, client: ZohoCrmClient) -> str:
        now = datetime.now(UTC)
        list(client.modified_between("Accounts", ["id"], now - timedelta(minutes=1), now))
        return f"refresh-token grant ({self.data_centre} data centre), API domain {client.api_domain}, Accounts read"
