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


class DynamicsFoResource(EntraAppResource):
    """Connection to one F&O environment (docs/operators/dynamics_fo.md)."""

    system = "dynamics_fo"
    fit_checks = CHECKS
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
        http = self.http_client(f"{self.environment_url}/data/", auth=self.entra_auth(stack), counter=counter)
        writer = DynamicsFoWriter(
            http, counter=counter, settle=timedelta(seconds=self.in_doubt_settle_seconds), page_size=self.page_size
        )
        return stack.enter_context(closing(writer))

    def check(self, client: DynamicsFoWriter) -> str:
        next(client.rows("CustomersV3", select=["CustomerAccount"]), None)
        return "Entra token and one CustomersV3 row"
