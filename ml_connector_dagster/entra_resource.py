"""Base of the Microsoft systems (Dataverse, F&O): an Entra ID application on the customer's own environment host,
which is also the token audience. The subclass says which API under that host it talks to."""

from contextlib import ExitStack, closing
from typing import ClassVar

from pydantic import Field, field_validator

from ml_connector_dagster.entra_auth import EntraClientCredentials
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.session_resource import SystemResource, http_url


class EntraAppResource(SystemResource):
    example_url: ClassVar[str]  # shown in the error when a URL setting is not http(s)
    secrets = frozenset({"client_secret"})

    # A subclass declares it again with its own example; the token scope is `<environment_url>/.default`.
    environment_url: str = Field(description="the environment URL; also the token audience")
    tenant_id: str = Field(description="Entra ID tenant (GUID or verified domain)")
    client_id: str = Field(description="application (client) ID of the app registration")
    client_secret: str = Field(description="client secret value; set it with dg.EnvVar, never inline", repr=False)
    authority_url: str = Field(
        default="https://login.microsoftonline.com",
        description="Entra ID authority that "
        "issues the tokens (another cloud's, e.g. https://login.microsoftonline.us)",
    )

    @field_validator("environment_url", "authority_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value, cls.example_url)

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> "EntraAppResource":
        return cls(
            **{
                "environment_url": urls[cls.system],
                "authority_url": urls["entra"],
                "tenant_id": SANDBOX.tenant_id,
                "client_id": SANDBOX.client_id,
                "client_secret": SANDBOX.client_secret,
                **overrides,
            }
        )

    def entra_auth(self, stack: ExitStack) -> EntraClientCredentials:
        return stack.enter_context(
            closing(
                EntraClientCredentials(
                    system=self.system,
                    settings=self.settings_to_check("tenant_id", "client_id", "client_secret"),
                    authority_url=self.authority_url,
                    tenant_id=self.tenant_id,
                    client_id=self.client_id,
                    client_secret=self.client_secret,
                    scope=f"{self.environment_url}/.default",
                    retry=self.retry_policy(),
                )
            )
        )
