"""The `dynamics_sales` resource: a Dataverse environment (Dynamics 365 Sales) reached as an Entra ID application."""

from contextlib import ExitStack, closing
from typing import Literal

import httpx
from ml_connector_dagster.resources.dynamics_sales.client import GUID, MAX_BATCH, MAX_PAGE_SIZE, DataverseClient
from ml_connector_dagster.resources.dynamics_sales.fit import CHECKS
from pydantic import Field, field_validator

from ml_connector_dagster.entra_resource import EntraAppResource
from ml_connector_dagster.http import CallCounter, ParallelismHint
from ml_connector_dagster.session_resource import BudgetedResource, ShownIds, http_url


class DynamicsSalesResource(EntraAppResource, BudgetedResource):
    """Connection to one Dataverse environment (docs/operators/dynamics_sales.md)."""

    system = "dynamics_sales"
    secrets = EntraAppResource.secrets | {"budget_url"}
    fit_checks = CHECKS
    example_url = "https://contoso.crm.dynamics.com"
    # The ledger holds a row's alternate key (external_id_column), the UI its GUID.
    shown_ids = ShownIds("Dataverse id", GUID)

    environment_url: str = Field(
        description="the environment URL, e.g. https://contoso.crm.dynamics.com; also the "
        "token audience (scope `<environment_url>/.default`)"
    )
    api_url: str | None = Field(default=None, description="Web API root; defaults to <environment_url>/api/data/v9.2")
    external_id_column: str = Field(
        default="mlc_externalid",
        description="column holding the source key, with an "
        "alternate key defined on it (see docs/operators/dynamics_sales.md)",
    )
    batch_size: int = Field(default=1000, ge=1, le=MAX_BATCH, description="records per UpsertMultiple / $batch")
    bulk_mode: Literal["auto", "upsert_multiple", "batch"] = Field(
        default="auto", description="auto probes sdkmessagefilters per table for UpsertMultiple support"
    )
    page_size: int = Field(
        default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="rows per page of a read (Prefer: odata.maxpagesize)"
    )
    requests_per_window: int = Field(
        default=5400,
        ge=1,
        description="client-side budget below the 6,000 requests "
        "per 300 s service-protection limit, shared by every run as this application user (budget_url)",
    )
    window_seconds: float = Field(default=300, gt=0, description="the window requests_per_window counts over")
    max_parallel_batches: int = Field(
        default=16,
        ge=1,
        le=52,
        description="most write batches in flight at once; fewer where the environment's x-ms-dop-hint says so",
    )

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        return http_url(value, "https://contoso.crm.dynamics.com/api/data/v9.2")

    def connect(self, stack: ExitStack) -> DataverseClient:
        counter = CallCounter()
        # Until the first answer carries x-ms-dop-hint, one batch at a time.
        parallelism = ParallelismHint(self.max_parallel_batches, header="x-ms-dop-hint")
        http = self.http_client(
            (self.api_url or f"{self.environment_url}/api/data/v9.2") + "/",
            auth=self.entra_auth(stack),
            counter=counter,
            # Dataverse counts requests per user per environment (microsoft.md §2.11).
            budget=self.request_budget(
                f"{self.environment_url} {self.client_id}", self.requests_per_window, self.window_seconds
            ),
            hold=self._hold,
            parallelism=parallelism,
        )
        return stack.enter_context(
            closing(
                DataverseClient(
                    http,
                    counter=counter,
                    external_id_column=self.external_id_column,
                    bulk_mode=self.bulk_mode,
                    page_size=self.page_size,
                    parallelism=parallelism,
                )
            )
        )

    def _hold(self, response: httpx.Response) -> float | None:
        """Seconds every sender holds when the service says the user's window is spent (the next request would be
        refused; the application user may be shared with other integrations): a tenth of the window, the time the
        budget's own burst takes. The header does not say when the sliding window frees room, so this is a guess; a
        429 that still comes pauses every sender for its Retry-After."""
        left = response.headers.get("x-ms-ratelimit-burst-remaining-xrm-requests", "")
        if left.isdigit() and int(left) == 0:
            return self.window_seconds / 10
        return None
