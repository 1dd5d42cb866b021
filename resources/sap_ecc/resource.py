"""The `sap_ecc` resource: an SAP ECC 6.0 system read through SAP Gateway OData v2 (default) or RFC (pyrfc), chosen
in configuration; both give the same rows in SAP's internal forms."""

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, Protocol

from pydantic import Field, field_validator, model_validator

from ml_connector_dagster.http import ApiError, CallCounter, RetryPolicy, build_client
from ml_connector_dagster.redaction import register_secret
from ml_connector_dagster.session_resource import SessionResource, http_url
from ml_connector_dagster.resources.sap_ecc.gateway import GatewayReader
from ml_connector_dagster.resources.sap_ecc.query import Select
from ml_connector_dagster.resources.sap_ecc.rfc import RfcReader


class SapReader(Protocol):
    counter: CallCounter

    def select(self, select: Select) -> Iterator[dict[str, str]]:
        """Rows of one table (only `select.fields`), values in SAP's internal forms."""


class SapEccResource(SessionResource):
    """Connection to one ECC client (docs/operators/sap_ecc.md)."""

    transport: Literal["odata", "rfc"] = Field(default="odata", description="odata: the connector's SAP Gateway "
                                               "service; rfc: RFC_READ_TABLE through pyrfc (extra `sap-rfc`)")
    username: str = Field(description="ABAP user (a technical user with read access)")
    password: str = Field(description="its password; set it with dg.EnvVar, never inline", repr=False)
    client: str = Field(default="100", pattern=r"^\d{3}$", description="SAP client (MANDT), three digits")
    language: str = Field(default="EN", min_length=1, max_length=2)
    page_size: int = Field(default=1000, ge=1, le=10000)
    max_attempts: int = Field(default=6, ge=1)
    max_retry_wait_seconds: float = Field(default=300, gt=0)
    timeout_seconds: float = Field(default=120, gt=0)
    # odata
    base_url: str | None = Field(default=None, description="scheme, host and port of SAP Gateway (odata)")
    service_name: str = Field(default="ZMLC_ECC_SYNC_SRV", description="the Gateway service the SAP basis team "
                                                                      "registered (odata)")
    # rfc
    ashost: str | None = Field(default=None, description="application server host (rfc)")
    sysnr: str = Field(default="00", pattern=r"^\d{2}$", description="system number (rfc)")
    saprouter: str | None = None
    snc_qop: str | None = None
    snc_myname: str | None = None
    snc_partnername: str | None = None
    snc_lib: str | None = None
    rfc_module: str = Field(default="pyrfc", description="module providing Connection and pyrfc's exceptions")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return http_url(value, "https://gateway.example.com:44300")

    @model_validator(mode="after")
    def _transport_settings(self) -> "SapEccResource":
        if self.transport == "odata" and not self.base_url:
            raise ValueError("base_url is required when transport is odata")
        if self.transport == "rfc" and not self.ashost:
            raise ValueError("ashost is required when transport is rfc")
        return self

    @contextmanager
    def open(self) -> Iterator[SapReader]:
        register_secret(self.password)
        counter = CallCounter()
        if self.transport == "odata":
            http = build_client(f"{self.base_url}/sap/opu/odata/sap/{self.service_name}/",
                                auth=(self.username, self.password), counter=counter,
                                timeout_seconds=self.timeout_seconds,
                                retry=RetryPolicy(max_attempts=self.max_attempts,
                                                  max_retry_after=self.max_retry_wait_seconds))
            http.params = {"sap-client": self.client, "sap-language": self.language}
            try:
                yield GatewayReader(http, counter=counter, page_size=self.page_size)
            finally:
                http.close()
            return
        rfc = _rfc_module(self.rfc_module)
        reader = RfcReader(rfc, lambda: rfc.Connection(**self._logon()), counter=counter, page_size=self.page_size,
                           max_attempts=self.max_attempts)
        try:
            yield reader
        finally:
            reader.close()

    def _logon(self) -> dict[str, str]:
        params = {"ashost": self.ashost, "sysnr": self.sysnr, "client": self.client, "user": self.username,
                  "passwd": self.password, "lang": self.language, "saprouter": self.saprouter,
                  "snc_qop": self.snc_qop, "snc_myname": self.snc_myname, "snc_partnername": self.snc_partnername,
                  "snc_lib": self.snc_lib}
        return {key: value for key, value in params.items() if value}


def _rfc_module(name: str):
    try:
        module = importlib.import_module(name)
    except ImportError:
        module = None
    # pyrfc imports without the SAP NW RFC SDK but then has no Connection.
    if not hasattr(module, "Connection"):
        raise ApiError("sap_ecc", f"transport rfc needs {name} with SAP's NW RFC SDK: install the `sap-rfc` extra "
                                  "and the SDK (docs/operators/sap_ecc.md), or use transport odata") from None
    return module
