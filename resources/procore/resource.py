"""The `procore` resource: one Procore company reached as a Developer Managed Service Account (client credentials)."""

import time
from collections.abc import Callable
from contextlib import ExitStack, closing

import httpx
from ml_connector_dagster.resources.procore.auth import ProcoreClientCredentials
from ml_connector_dagster.resources.procore.client import ProcoreClient
from ml_connector_dagster.resources.procore.fit import CHECKS
from ml_connector_dagster.resources.procore.rate import ProcoreBudget
from ml_connector_dagster.resources.procore.writes import WRITE_SIZE
from pydantic import Field, field_validator

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.session_resource import BudgetedResource, http_url
from ml_connector_dagster.settings import SettingsError
from ml_connector_dagster.systems import sandbox_urls


class ProcoreResource(BudgetedResource):
    """Connection to one Procore company, as the Developer Managed Service Account of an app installed in it."""

    system = "procore"
    fit_checks = CHECKS
    secrets = frozenset({"client_secret", "webhook_key", "budget_url"})

    api_url: str = Field(default="https://api.procore.com", description="the REST API host (a sandbox's differs)")
    login_url: str = Field(
        default="https://login.procore.com", description="the OAuth host that issues tokens (a sandbox's differs)"
    )
    client_id: str = Field(description="client id of the app's Developer Managed Service Account")
    client_secret: str = Field(description="its client secret; set it with dg.EnvVar, never inline", repr=False)
    # Optional only in form: a required number cannot be left to Dagster's launch as a dg.EnvVar the way a required
    # text is, so an unset one is named when the session opens.
    company_id: int | None = Field(
        default=None, gt=0, description="the Procore company the app is installed in (Procore-Company-Id); required"
    )
    page_size: int = Field(default=1000, ge=1, le=10000, description="records per read call (per_page)")
    batch_size: int = Field(
        default=1000, ge=1, description=f"records per load batch; a batch is sent as sync calls of {WRITE_SIZE}"
    )
    webhook_url: str | None = Field(
        default=None,
        description="where Procore posts events: the webhook receiver's public URL + /webhooks/procore; unset, the "
        "webhook set-up job registers no hook",
    )
    webhook_key: str | None = Field(
        default=None,
        description="the key Procore sends back as `Authorization: Bearer <key>` with every event, the receiver's key "
        "for procore",
        repr=False,
    )
    hook_namespace: str = Field(
        default="ml-connector",
        pattern=r"^[a-z-]+$",
        description="namespace of the connector's webhook hook (lower-case letters and dashes)",
    )
    rate_reserve: int = Field(
        default=100,
        ge=0,
        description="requests of the company's hourly limit left for its other integrations: every run against the "
        "company together spreads the requests above it evenly over the time to the hour's reset, and at it waits for "
        "the reset, or stops when that is further away than max_retry_wait_seconds",
    )
    spike_requests: int = Field(
        default=25,
        ge=1,
        description="client-side budget below Procore's spike limit, per spike_window_seconds, shared by every run "
        "against the company (budget_url)",
    )
    spike_window_seconds: float = Field(default=10, gt=0, description="the window spike_requests counts over")
    max_parallel_batches: int = Field(
        # Procore documents no cap on requests in flight: it asks apps to control throughput by their concurrency
        # (rate_limiting.md) and counts requests by its spike and hourly limits, which the budgets keep; 16 all
        # leaving at once stay under the spike limit's 25 (guess: the figure of Procore's example headers).
        default=16,
        ge=1,
        le=25,
        description="requests in flight at once for the app in the company, every run together: load batches go "
        "side by side, and so do a batch's projects and its contracts' line-item reads and syncs. Procore sends no "
        "hint and asks apps to control throughput by their concurrency, within the spike limit. Keep rate_reserve "
        "above it: requests in flight are counted against the hourly limit once their answers come",
    )

    @field_validator("api_url", "login_url", "webhook_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        return http_url(value, "https://api.procore.com")

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> "ProcoreResource":
        # One emulator serves both the login and the API. A stack without it still builds every resource.
        procore = urls.get("procore", sandbox_urls()["procore"])
        return cls(
            **{
                "api_url": procore,
                "login_url": procore,
                "client_id": SANDBOX.procore_client_id,
                "client_secret": SANDBOX.procore_client_secret,
                "company_id": SANDBOX.procore_company_id,
                "webhook_key": SANDBOX.procore_webhook_key,
                # the sandbox enforces no spike limit (sandbox/stack.py), so the run needs no budget below it
                "spike_requests": 10_000,
                **overrides,
            }
        )

    def connect(
        self,
        stack: ExitStack,
        transport: httpx.BaseTransport | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> ProcoreClient:
        """The client; `transport` replaces the network, `sleep` and `clock` the waits and time (tests)."""
        if self.company_id is None:
            raise SettingsError(f"procore: {self.environment_variable('company_id')} is not set")
        auth = stack.enter_context(
            closing(
                ProcoreClientCredentials(
                    login_url=self.login_url,
                    client_id=self.client_id,
                    client_secret=self.client_secret,
                    settings=self.settings_to_check("client_id", "client_secret"),
                    retry=self.retry_policy(),
                    clock=clock,
                    transport=transport,
                )
            )
        )
        counter = CallCounter()
        # Guess: Procore counts a Developer Managed Service Account's requests per company (§3.4: a bucket per
        # Procore-Company-Id) and says "per token" without saying whether its tokens share one; every run gets a
        # token of its own, so the budget is kept per app and company, which holds either way.
        identity = f"{self.api_url} {self.company_id} {self.client_id}"
        budget = ProcoreBudget(
            spike=self.request_budget(
                identity, self.spike_requests, self.spike_window_seconds, sleep=sleep, clock=clock
            ),
            allowance=self.allowance(identity, clock=clock),
            reserve=self.rate_reserve,
            max_wait=self.max_retry_wait_seconds,
            spike_seconds=self.spike_window_seconds,
            sleep=sleep,
            clock=clock,
        )
        http = self.http_client(
            f"{self.api_url}/rest/v1.0",
            auth=auth,
            counter=counter,
            headers={"Procore-Company-Id": str(self.company_id), "Accept": "application/json"},
            budget=budget,
            hold=budget.hear,
            slots=self.concurrency(identity, self.max_parallel_batches),
            sleep=sleep,
            transport=transport,
        )
        return stack.enter_context(
            closing(
                ProcoreClient(
                    http,
                    counter=counter,
                    company_id=self.company_id,
                    page_size=self.page_size,
                    parallelism=self.max_parallel_batches,
                )
            )
        )
