"""The `dynamics_fo` resource: one Finance & Operations environment reached as an Entra ID application. There is
no shared base URL: every customer's environment has its own host, which is also the token audience."""

from contextlib import ExitStack, closing
from datetime import timedelta

from ml_connector_dagster.resources.dynamics_fo.client import MAX_PAGE_SIZE
from ml_connector_dagster.resources.dynamics_fo.fit import CHECKS
from ml_connector_dagster.resources.dynamics_fo.targets import SETTLE, DynamicsFoWriter
from pydantic import Field

from ml_connector_dagster.entra_resource import EntraAppResource
from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.session_resource import BudgetedResource


class DynamicsFoResource(EntraAppResource, BudgetedResource):
    """Connection to one F&O environment (docs/operators/dynamics_fo.md)."""

    system = "dynamics_fo"
    fit_checks = CHECKS
    secrets = EntraAppResource.secrets | {"budget_url"}
    example_url = "https://contoso.operations.dynamics.com"

    environment_url: str = Field(
        description="e.g. https://contoso.operations.dynamics.com (every customer has its "
        "own host); also the token scope `<environment_url>/.default`"
    )
    client_id: str = Field(
        description="application (client) id, also registered in F&O under Microsoft Entra "
        "applications and mapped to a user"
    )
    page_size: int = Field(
        default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="rows per page of a read (F&O serves at most 10,000)"
    )
    batch_size: int = Field(
        default=200,
        ge=1,
        description="records per load batch; each is one change set, sent "
        "20 to a $batch call after one lookup per 20 records",
    )
    requests_per_window: int = Field(
        default=5400,
        ge=1,
        description="client-side budget of requests per window_seconds, shared by every run as this Entra "
        "application: below the user-based limit of 6,000 per 300 s where the environment still enforces it; a 429 "
        "of the resource-based throttle pauses every run for its Retry-After",
    )
    window_seconds: float = Field(default=300, gt=0, description="the window requests_per_window counts over")
    max_parallel_batches: int = Field(
        default=4,
        ge=1,
        le=52,
        description="load batches ($batch calls of change sets) in flight at once; F&O sends no hint, and allows at "
        "most 52 concurrent requests per user where user-based limits are on",
    )
    in_doubt_settle_seconds: float = Field(
        default=int(SETTLE.total_seconds()),  # a guess: targets.SETTLE says what it rests on
        ge=0,
        description="after a $batch call F&O did not answer (timeout, reset, lost answer), how long F&O may still be "
        "processing it: its records are in doubt, neither looked up nor sent again until then",
    )

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> "DynamicsFoResource":
        # The emulator answers in milliseconds; only a fault plan holds a request, for seconds.
        return super().sandbox(urls, **{"in_doubt_settle_seconds": 30, **overrides})

    def connect(self, stack: ExitStack) -> DynamicsFoWriter:
        counter = CallCounter()
        http = self.http_client(
            f"{self.environment_url}/data/",
            auth=self.entra_auth(stack),
            counter=counter,
            # Both of F&O's limits count per Entra application (or user) in the environment (microsoft.md §3.6).
            budget=self.request_budget(
                f"{self.environment_url} {self.client_id}", self.requests_per_window, self.window_seconds
            ),
        )
        writer = DynamicsFoWriter(
            http,
            counter=counter,
            settle=timedelta(seconds=self.in_doubt_settle_seconds),
            page_size=self.page_size,
            parallelism=self.max_parallel_batches,
        )
        return stack.enter_context(closing(writer))

    def check(self, client: DynamicsFoWriter) -> str:
        next(client.rows("CustomersV3", select=["CustomerAccount"]), None)
        return "Entra token and one CustomersV3 row"
