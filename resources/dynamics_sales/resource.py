"""The `dynamics_sales` resource: a Dataverse environment (Dynamics 365 Sales) reached as an Entra ID application."""

from contextlib import contextmanager
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, field_validator

from ml_connector_dagster.entra_auth import EntraClientCredentials
from ml_connector_dagster.http import CallCounter, RateBudget, RetryPolicy, build_client
from ml_connector_dagster.redaction import register_secret
from ml_connector_dagster.session_resource import SessionResource, http_url
from ml_connector_dagster.resources.dynamics_sales.client import MAX_BATCH, MAX_PAGE_SIZE, DataverseClient


class DynamicsSalesResource(SessionResource):
    """Connection to one Dataverse environment. Secrets come from environment variables (dg.EnvVar)."""

    environment_url: str = Field(description="The environment URL, e.g. https://contoso.crm.dynamics.com; also the "
                                             "token audience (scope `<environment_url>/.default`).")
    api_url: str | None = Field(default=None, description="Web API root; defaults to <environment_url>/api/data/v9.2")
    tenant_id: str = Field(description="Entra ID tenant (GUID or verified domain)")
    client_id: str = Field(description="Application (client) ID of the app registration")
    client_secret: str = Field(description="Client secret value; set it with dg.EnvVar, never inline", repr=False)
    authority_url: str = Field(default="https://login.microsoftonline.com")
    external_id_column: str = Field(default="mlc_externalid", description="Column holding the source key, with an "
                                    "alternate key defined on it (see docs/operators/dynamics_sales.md)")
    batch_size: int = Field(default=1000, ge=1, le=MAX_BATCH, description="Records per UpsertMultiple / $batch")
    bulk_mode: Literal["auto", "upsert_multiple", "batch"] = Field(
        default="auto", description="auto probes sdkmessagefilters per table for UpsertMultiple support")
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    timeout_seconds: float = Field(default=120, gt=0)
    max_attempts: int = Field(default=6, ge=1, description="Attempts per request on 429/5xx/connection errors")
    max_retry_wait_seconds: float = Field(default=300, gt=0)
    requests_per_window: int = Field(default=5400, ge=1, description="Client-side budget below the 6,000 requests "
                                     "per 300 s service-protection limit, shared by this run's calls")
    window_seconds: float = Field(default=300, gt=0)

    @field_validator("environment_url", "api_url", "authority_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return http_url(value, "https://contoso.crm.dynamics.com")

    @contextmanager
    def open(self) -> Iterator[DataverseClient]:
        register_secret(self.client_secret)
        retry = RetryPolicy(max_attempts=self.max_attempts, max_retry_after=self.max_retry_wait_seconds)
        auth = EntraClientCredentials(authority_url=self.authority_url, tenant_id=self.tenant_id,
                                      client_id=self.client_id, client_secret=self.client_secret,
                                      scope=f"{self.environment_url}/.default", retry=retry)
        counter = CallCounter()
        http = build_client((self.api_url or f"{self.environment_url}/api/data/v9.2") + "/", auth=auth,
                            timeout_seconds=self.timeout_seconds, retry=retry, counter=counter,
                            budget=RateBudget(self.requests_per_window, self.window_seconds))
        client = DataverseClient(http, counter=counter, external_id_column=self.external_id_column,
                                 bulk_mode=self.bulk_mode, page_size=self.page_size)
        try:
            yield client
        finally:
            client.close()
            auth.close()
