"""The `dynamics_fo` resource: one Finance & Operations environment reached as an Entra ID application. There is
no shared base URL: every customer's environment has its own host, which is also the token audience."""

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import Field, field_validator

from ml_connector_dagster.entra_auth import EntraClientCredentials
from ml_connector_dagster.http import CallCounter, RetryPolicy, build_client
from ml_connector_dagster.session_resource import SessionResource, http_url
from ml_connector_dagster.resources.dynamics_fo.client import MAX_PAGE_SIZE
from ml_connector_dagster.resources.dynamics_fo.targets import DynamicsFoWriter


class DynamicsFoResource(SessionResource):
    """Connection to one F&O environment (docs/operators/dynamics_fo.md)."""

    environment_url: str = Field(description="e.g. https://contoso.operations.dynamics.com; also the token scope "
                                             "`<environment_url>/.default`")
    tenant_id: str = Field(description="Entra ID tenant (GUID or verified domain)")
    client_id: str = Field(description="application (client) id, also registered in F&O under Microsoft Entra "
                                       "applications and mapped to a user")
    client_secret: str = Field(description="client secret value; set it with dg.EnvVar, never inline", repr=False)
    authority_url: str = Field(default="https://login.microsoftonline.com")
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    batch_size: int = Field(default=200, ge=1, description="records per load batch; each is one change set, sent "
                            "20 to a $batch call after one lookup per 20 records")
    timeout_seconds: float = Field(default=120, gt=0)
    max_attempts: int = Field(default=6, ge=1, description="attempts per request on 429/5xx/connection errors")
    max_retry_wait_seconds: float = Field(default=300, gt=0)

    @field_validator("environment_url", "authority_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value, "https://contoso.operations.dynamics.com")

    @contextmanager
    def open(self) -> Iterator[DynamicsFoWriter]:
        retry = RetryPolicy(max_attempts=self.max_attempts, max_retry_after=self.max_retry_wait_seconds)
        auth = EntraClientCredentials(authority_url=self.authority_url, tenant_id=self.tenant_id,
                                      client_id=self.client_id, client_secret=self.client_secret,
                                      scope=f"{self.environment_url}/.default", retry=retry)
        counter = CallCounter()
        http = build_client(f"{self.environment_url}/data/", auth=auth, counter=counter, retry=retry,
                            timeout_seconds=self.timeout_seconds)
        client = DynamicsFoWriter(http, counter=counter, page_size=self.page_size)
        try:
            yield client
        finally:
            client.close()
            auth.close()
