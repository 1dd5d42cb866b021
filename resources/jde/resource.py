"""The `jde` resource: a JD Edwards EnterpriseOne AIS server (docs/operators/jde.md)."""

from contextlib import ExitStack
from datetime import timedelta

import httpx
from ml_connector_dagster.resources.jde.auth import AisTokenAuth
from ml_connector_dagster.resources.jde.fit import CHECKS
from ml_connector_dagster.resources.jde.query import DateLiteral
from ml_connector_dagster.resources.jde.targets import JdeWriter, Orchestrations
from pydantic import Field, field_validator

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.server_clock import ServerTimeZone
from ml_connector_dagster.session_resource import SystemResource, http_url


class JdeResource(SystemResource):
    """Sign-in to AIS with a token per run, data service reads, the connector's orchestrations for writes."""

    system = "jde"
    fit_checks = CHECKS
    secrets = frozenset({"password"})

    ais_url: str = Field(description="scheme, host and port of the AIS server, e.g. https://ais.example.com:9300")
    username: str = Field(description="JDE user the connector signs in as")
    password: str = Field(description="its password; set it with dg.EnvVar, never inline", repr=False)
    environment: str = Field(description="JDE environment to sign in to, e.g. JDV920 or JPD920")
    role: str = Field(default="*ALL", description="JDE role to sign in with")
    device_name: str = Field(
        default="ml-connector", description="device name the token is requested for (AIS binds a token to it)"
    )
    page_size: int = Field(default=500, ge=1, description="maxPageSize: rows per data service page")
    max_concurrent_reads: int = Field(
        default=6,
        ge=1,
        le=16,
        description="data service reads in flight at once where a step reads several tables by key (an address-book "
        "page's six tables); the AIS pages give no limit for one token (1: one read at a time)",
    )
    date_literal: DateLiteral = Field(
        default="user",
        description="how a date is written in a data service condition: user (the signed-in user's date format, "
        "from the token answer), julian (CYYDDD) or yyyyMMdd; Oracle's pages do not say which AIS accepts",
    )
    server_time_zone: ServerTimeZone = Field(
        default="UTC",
        description="IANA time zone of the JDE server's clock, e.g. America/Chicago: UPMJ/UPMT carry none",
    )
    token_refresh_minutes: float = Field(
        default=25,
        gt=0,
        description="request a new token after this many minutes, before the AIS session can time out",
    )
    add_customer_orchestration: str = Field(default="MLC_AddCustomer", description="orchestration creating a customer")
    update_customer_orchestration: str = Field(
        default="MLC_UpdateCustomer", description="orchestration updating a customer"
    )
    add_contact_orchestration: str = Field(default="MLC_AddContact", description="orchestration adding a contact")
    update_contact_orchestration: str = Field(
        default="MLC_UpdateContact", description="orchestration updating a contact"
    )
    company: str = Field(
        default="00001", pattern=r"^\d{5}$", description="company (CO) of the F03012 record a new customer gets"
    )
    batch_size: int = Field(
        default=100, ge=1, description="records per load batch; each record is one orchestration call"
    )

    @field_validator("ais_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value, "https://ais.example.com:9300")

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> "JdeResource":
        return cls(
            **{
                "ais_url": urls["jde"],
                "username": SANDBOX.jde_user,
                "password": SANDBOX.jde_password,
                "environment": SANDBOX.jde_environment,
                "role": SANDBOX.jde_role,
                **overrides,
            }
        )

    def connect(self, stack: ExitStack) -> JdeWriter:
        """One AIS session per use: a token on the first call, logged out at the end even when the run fails."""
        counter = CallCounter()
        auth = AisTokenAuth(
            ais_url=self.ais_url,
            username=self.username,
            password=self.password,
            environment=self.environment,
            role=self.role,
            device_name=self.device_name,
            refresh_after=timedelta(minutes=self.token_refresh_minutes),
            settings=self.settings_to_check("username", "password", "environment", "role"),
        )
        http = self.http_client(self.ais_url, auth=auth, counter=counter)
        stack.callback(http.close)
        stack.callback(_log_out, http, auth)
        return JdeWriter(
            http,
            auth=auth,
            counter=counter,
            page_size=self.page_size,
            concurrent_reads=self.max_concurrent_reads,
            date_literal=self.date_literal,
            server_time_zone=self.server_time_zone,
            company=self.company,
            orchestrations=Orchestrations(
                self.add_customer_orchestration,
                self.update_customer_orchestration,
                self.add_contact_orchestration,
                self.update_contact_orchestration,
            ),
        )

    def check(self, client: JdeWriter) -> str:
        client.after_key("F0101", ["AN8"], "AN8", 0, 1)
        return f"AIS token for {self.environment} and one F0101 row"


def _log_out(http: httpx.Client, auth: AisTokenAuth) -> None:
    logout = auth.logout_request()
    if logout is not None:
        try:
            http.send(logout, auth=None)
        except httpx.HTTPError:
            pass  # the AIS session times out on its own; a failed logout must not fail the run
