"""The `oracle_ebs` resource: an EBS R12.2 instance reached through Integrated SOA Gateway REST services."""

from contextlib import ExitStack
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import httpx
from ml_connector_dagster.resources.oracle_ebs.auth import EbsSessionAuth
from ml_connector_dagster.resources.oracle_ebs.fit import CHECKS
from ml_connector_dagster.resources.oracle_ebs.service import EbsService
from pydantic import Field, field_validator

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.server_clock import ServerTimeZone
from ml_connector_dagster.session_resource import SystemResource, http_url


class OracleEbsResource(SystemResource):
    """Connection to the connector's read service deployed on EBS (docs/operators/oracle_ebs.md)."""

    system = "oracle_ebs"
    fit_checks = CHECKS
    secrets = frozenset({"password"})

    base_url: str = Field(
        description="scheme, host and port of the EBS web tier, e.g. https://ebs.example.com:4443 "
        "(the URL EBS is opened with, without /OA_HTML/...)"
    )
    username: str = Field(description="EBS user granted the service")
    password: str = Field(description="its password; set it with dg.EnvVar, never inline", repr=False)
    service_alias: str = Field(
        default="xxmlc_sync",
        description="alias chosen when the administrator deployed XXMLC_SYNC_PKG as a REST service",
    )
    auth_mode: Literal["token", "basic"] = Field(
        default="token",
        description="token: log in once per run and send the session cookie; basic: HTTP Basic on "
        "every call (for releases or policies without token login)",
    )
    responsibility: str = Field(default="RECEIVABLES_MANAGER", description="responsibility key sent in the RESTHeader")
    resp_application: str = Field(default="AR", description="application short name of the responsibility")
    journal_responsibility: str = Field(
        default="GENERAL_LEDGER_SUPER_USER",
        description="General Ledger responsibility key sent in the RESTHeader of the journal methods (its data "
        "access set must give read and write access to ledger_id)",
    )
    journal_resp_application: str = Field(
        default="SQLGL", description="application short name of journal_responsibility"
    )
    ledger_id: int = Field(default=2041, ge=1, description="GL ledger (GL_LEDGERS.LEDGER_ID) journals are posted to")
    batch_size: int = Field(
        default=500,
        ge=1,
        description="journals per load batch (the Procore pair); a batch is posted in calls of 100 journals",
    )
    security_group: str = Field(default="STANDARD", description="security group key sent in the RESTHeader")
    nls_language: str = Field(default="AMERICAN", description="session language sent in the RESTHeader")
    org_id: str | None = Field(
        default="204",
        description="operating unit for MOAC-striped rows (account sites, "
        "vendor sites); ALL (or None) reads every unit the "
        "responsibility may see",
    )
    server_timezone: ServerTimeZone = Field(
        default="UTC",
        description="IANA time zone of the EBS database server's clock, "
        "e.g. Europe/Berlin: LAST_UPDATE_DATE carries none",
    )
    parent_relationship_code: str = Field(
        default="SUBSIDIARY_OF",
        description="HZ_RELATIONSHIPS code whose forward "
        "row links a child organization to its parent (customer hierarchy)",
    )
    page_size: int = Field(
        default=500,
        ge=1,
        le=1000,
        description="rows per call; lower it when a proxy in front of EBS cuts long calls (504)",
    )
    login_path: str = Field(default="/webservices/rest/login", description="ISG login service (auth_mode token)")
    logout_path: str = Field(
        default="/webservices/rest/logout",
        description="ISG logout service, called at the end of every run (auth_mode token)",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value, "https://ebs.example.com:4443")

    @field_validator("org_id")
    @classmethod
    def _org(cls, value: str | None) -> str | None:
        if value is None or value.strip().upper() == "ALL":
            return None
        if not value.strip().isdigit():
            raise ValueError("must be an operating unit id (a number) or ALL")
        return value.strip()

    def server_time(self, moment: datetime) -> datetime:
        """`moment` as the EBS database server's clock shows it (its DATE columns carry no zone)."""
        return moment.astimezone(ZoneInfo(self.server_timezone)).replace(tzinfo=None)

    def rest_header(self) -> dict[str, str]:
        header = {
            "Responsibility": self.responsibility,
            "RespApplication": self.resp_application,
            "SecurityGroup": self.security_group,
            "NLSLanguage": self.nls_language,
        }
        if self.org_id:
            header["Org_Id"] = self.org_id
        return header

    def journal_header(self) -> dict[str, str]:
        """The application context of the journal methods: General Ledger's responsibility, and no Org_Id (a ledger
        is not striped by operating unit, and an Org_Id outside the GL responsibility's security profile would
        fail the call)."""
        return {
            "Responsibility": self.journal_responsibility,
            "RespApplication": self.journal_resp_application,
            "SecurityGroup": self.security_group,
            "NLSLanguage": self.nls_language,
        }

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> "OracleEbsResource":
        return cls(
            **{
                "base_url": urls["oracle_ebs"],
                "username": SANDBOX.ebs_user,
                "password": SANDBOX.ebs_password,
                **overrides,
            }
        )

    def connect(self, stack: ExitStack) -> EbsService:
        """One session per use: log in lazily on the first call, log out at the end even when the run fails."""
        counter = CallCounter()
        if self.auth_mode == "token":
            auth: httpx.Auth = EbsSessionAuth(
                login_url=self.base_url + self.login_path,
                logout_url=self.base_url + self.logout_path,
                username=self.username,
                password=self.password,
                settings=self.settings_to_check("username", "password"),
            )
        else:
            auth = httpx.BasicAuth(self.username, self.password)
        http = self.http_client(self.base_url + "/", auth=auth, counter=counter)
        stack.callback(http.close)
        stack.callback(_log_out, http, auth)
        return EbsService(
            http,
            alias=self.service_alias,
            rest_header=self.rest_header(),
            counter=counter,
            page_size=self.page_size,
            server_timezone=ZoneInfo(self.server_timezone),
            journal_header=self.journal_header(),
            ledger_id=self.ledger_id,
        )


def _log_out(http: httpx.Client, auth: httpx.Auth) -> None:
    logout = auth.logout_request() if isinstance(auth, EbsSessionAuth) else None
    if logout is not None:
        try:
            http.send(logout, auth=None)
        except httpx.HTTPError:
            pass  # the session times out on its own; a failed logout must not fail the run
