"""The `oracle_ebs` resource: an EBS R12.2 instance reached through Integrated SOA Gateway REST services."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import Field, field_validator

from ml_connector_dagster.http import CallCounter, RetryPolicy, build_client
from ml_connector_dagster.redaction import register_secret
from ml_connector_dagster.session_resource import SessionResource, http_url
from ml_connector_dagster.resources.oracle_ebs.auth import EbsSessionAuth
from ml_connector_dagster.resources.oracle_ebs.service import EbsService


class OracleEbsResource(SessionResource):
    """Connection to the connector's read service deployed on EBS (docs/operators/oracle_ebs.md)."""

    base_url: str = Field(description="Scheme, host and port of the EBS web tier, e.g. https://ebs.example.com:4443")
    username: str = Field(description="EBS user granted the service")
    password: str = Field(description="EBS password; set it with dg.EnvVar, never inline", repr=False)
    service_alias: str = Field(default="xxmlc_sync", description="Alias chosen when the administrator deployed "
                                                                 "XXMLC_SYNC_PKG as a REST service")
    auth_mode: Literal["token", "basic"] = Field(
        default="token", description="token: log in once per run and send the session cookie; basic: HTTP Basic on "
                                     "every call (for releases or policies without token login)")
    responsibility: str = Field(default="RECEIVABLES_MANAGER", description="Responsibility key for the RESTHeader")
    resp_application: str = Field(default="AR", description="Application short name of the responsibility")
    security_group: str = Field(default="STANDARD")
    nls_language: str = Field(default="AMERICAN")
    org_id: str | None = Field(default="204", description="Operating unit for MOAC-striped rows (account sites, "
                                                          "vendor sites); ALL (or None) reads every unit the "
                                                          "responsibility may see")
    server_timezone: str = Field(default="UTC", description="Time zone of the EBS database server's clock")
    parent_relationship_code: str = Field(default="SUBSIDIARY_OF", description="HZ_RELATIONSHIPS code whose forward "
                                          "row links a child organization to its parent (customer hierarchy)")
    page_size: int = Field(default=500, ge=1, le=1000)
    login_path: str = Field(default="/webservices/rest/login")
    logout_path: str = Field(default="/webservices/rest/logout")
    timeout_seconds: float = Field(default=120, gt=0)
    max_attempts: int = Field(default=6, ge=1)
    max_retry_wait_seconds: float = Field(default=300, gt=0)

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

    @field_validator("server_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value

    def rest_header(self) -> dict[str, str]:
        header = {"Responsibility": self.responsibility, "RespApplication": self.resp_application,
                  "SecurityGroup": self.security_group, "NLSLanguage": self.nls_language}
        if self.org_id:
            header["Org_Id"] = self.org_id
        return header

    @contextmanager
    def open(self) -> Iterator[EbsService]:
        """One session per use: log in lazily on the first call, log out at the end even when the run fails."""
        register_secret(self.password)
        counter = CallCounter()
        if self.auth_mode == "token":
            auth: httpx.Auth = EbsSessionAuth(login_url=self.base_url + self.login_path,
                                              logout_url=self.base_url + self.logout_path,
                                              username=self.username, password=self.password)
        else:
            auth = httpx.BasicAuth(self.username, self.password)
        http = build_client(self.base_url + "/", auth=auth, counter=counter, timeout_seconds=self.timeout_seconds,
                            retry=RetryPolicy(max_attempts=self.max_attempts,
                                              max_retry_after=self.max_retry_wait_seconds))
        try:
            yield EbsService(http, alias=self.service_alias, rest_header=self.rest_header(), counter=counter,
                             page_size=self.page_size, server_timezone=ZoneInfo(self.server_timezone))
        finally:
            logout = auth.logout_request() if isinstance(auth, EbsSessionAuth) else None
            if logout is not None:
                try:
                    http.send(logout, auth=None)
                except httpx.HTTPError:
                    pass  # the session times out on its own; a failed logout must not fail the run
            http.close()
