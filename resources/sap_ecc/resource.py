"""The `sap_ecc` resource: an SAP ECC 6.0 system read through SAP Gateway OData v2 (default) or RFC (pyrfc), chosen
in configuration; both give the same rows in SAP's internal forms."""

import importlib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, closing
from typing import Literal, Protocol

from ml_connector_dagster.resources.sap_ecc.fit import CHECKS
from ml_connector_dagster.resources.sap_ecc.gateway import GatewayReader
from ml_connector_dagster.resources.sap_ecc.query import Select
from ml_connector_dagster.resources.sap_ecc.rfc import RfcReader
from pydantic import Field, field_validator, model_validator

from ml_connector_dagster.http import ApiError, CallCounter
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.server_clock import ServerTimeZone
from ml_connector_dagster.session_resource import SystemResource, http_url


class SapReader(Protocol):
    counter: CallCounter

    def select(self, select: Select) -> Iterator[dict[str, str]]:
        """Rows of one table (only `select.fields`), values in SAP's internal forms."""


class SapEccResource(SystemResource):
    """Connection to one ECC client (docs/operators/sap_ecc.md)."""

    system = "sap_ecc"
    fit_checks = CHECKS
    secrets = frozenset({"password"})

    transport: Literal["odata", "rfc"] = Field(
        default="odata",
        description="odata: the connector's SAP Gateway service; rfc: RFC_READ_TABLE through pyrfc (extra `sap-rfc`)",
    )
    username: str = Field(description="ABAP user (a technical user with read access)")
    password: str = Field(description="its password; set it with dg.EnvVar, never inline", repr=False)
    client: str = Field(default="100", pattern=r"^\d{3}$", description="SAP client (MANDT), three digits")
    language: str = Field(default="EN", min_length=1, max_length=2, description="logon language, e.g. EN or DE")
    page_size: int = Field(default=1000, ge=1, le=10000, description="rows per call")
    server_time_zone: ServerTimeZone = Field(
        default="UTC",
        description="IANA time zone of the ECC application servers' clock (SY-DATUM/SY-UZEIT; normally the system "
        "time zone of transaction STZAC), e.g. America/New_York: change documents (CDHDR-UDATE/UTIME) and "
        "creation dates carry none",
    )
    # odata
    base_url: str | None = Field(
        default=None, description="scheme, host and port of SAP Gateway; required for transport odata"
    )
    service_name: str = Field(
        default="ZMLC_ECC_SYNC_SRV", description="the Gateway service the SAP basis team registered (odata)"
    )
    # rfc
    ashost: str | None = Field(
        default=None, description="application server host; required for transport rfc (then base_url is not)"
    )
    sysnr: str = Field(default="00", pattern=r"^\d{2}$", description="system number (rfc)")
    saprouter: str | None = Field(
        default=None, description="SAProuter string, e.g. /H/router.example.com/S/3299/H/ (rfc)"
    )
    snc_qop: str | None = Field(
        default=None, description="Secure Network Communications quality of protection, 1-9 (rfc)"
    )
    snc_myname: str | None = Field(default=None, description="SNC name of the connector, e.g. p:CN=MLC_SYNC (rfc)")
    snc_partnername: str | None = Field(default=None, description="SNC name of the application server (rfc)")
    snc_lib: str | None = Field(
        default=None, description="path of the SNC library, e.g. the SAP Cryptographic Library (rfc)"
    )
    rfc_module: str = Field(
        default="pyrfc",
        description="module providing Connection and pyrfc's exceptions (rfc; tests put a stand-in here)",
    )

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

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> "SapEccResource":
        return cls(
            **{"base_url": urls["sap_ecc"], "username": SANDBOX.sap_user, "password": SANDBOX.sap_password, **overrides}
        )

    @classmethod
    def required_fields(cls, environ: Mapping[str, str]) -> set[str]:
        transport = environ.get(cls.environment_variable("transport")) or cls.model_fields["transport"].default
        return super().required_fields(environ) | {"base_url" if transport == "odata" else "ashost"}

    def connect(self, stack: ExitStack) -> SapReader:
        counter = CallCounter()
        if self.transport == "odata":
            http = stack.enter_context(
                closing(
                    self.http_client(
                        f"{self.base_url}/sap/opu/odata/sap/{self.service_name}/",
                        auth=(self.username, self.password),
                        counter=counter,
                    )
                )
            )
            http.params = {"sap-client": self.client, "sap-language": self.language}
            return GatewayReader(http, counter=counter, page_size=self.page_size)
        rfc = _rfc_module(self.rfc_module)
        return stack.enter_context(
            closing(
                RfcReader(
                    rfc,
                    lambda: rfc.Connection(**self._logon()),
                    counter=counter,
                    page_size=self.page_size,
                    max_attempts=self.max_attempts,
                )
            )
        )

    def check(self, reader: SapReader) -> str:
        next(reader.select(Select("LFA1", ("LIFNR",), ("LIFNR",))), None)
        return f"one LFA1 row of client {self.client} over {self.transport}"

    def _logon(self) -> dict[str, str]:
        params = {
            "ashost": self.ashost,
            "sysnr": self.sysnr,
            "client": self.client,
            "user": self.username,
            "passwd": self.password,
            "lang": self.language,
            "saprouter": self.saprouter,
            "snc_qop": self.snc_qop,
            "snc_myname": self.snc_myname,
            "snc_partnername": self.snc_partnername,
            "snc_lib": self.snc_lib,
        }
        return {key: value for key, value in params.items() if value}


def _rfc_module(name: str):
    try:
        module = importlib.import_module(name)
    except ImportError:
        module = None
    # pyrfc imports without the SAP NW RFC SDK but then has no Connection.
    if not hasattr(module, "Connection"):
        raise ApiError(
            "sap_ecc",
            f"transport rfc needs {name} with SAP's NW RFC SDK: install the `sap-rfc` extra "
            "and the SDK (docs/operators/sap_ecc.md), or use transport odata",
        ) from None
    return module
