"""The resources of a deployment profile: the sandbox's emulators, or real systems from environment variables.

Production: secrets are dg.EnvVar (resolved at launch, never stored in the definition or shown in the UI); other
settings are plain environment variables read when the code location loads, with defaults where the vendor has one.
"""

import os

import dagster as dg

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.settings import Settings
from ml_connector_dagster.systems import GRPC_ENDPOINTS, SANDBOX_PORTS
from ml_connector_dagster.resources.dynamics_fo import DynamicsFoResource
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource
from ml_connector_dagster.resources.salesforce import SalesforceResource
from ml_connector_dagster.resources.sap_ecc import SapEccResource


def sandbox_urls(host: str = "127.0.0.1") -> dict[str, str]:
    return {name: f"{host}:{port}" if name in GRPC_ENDPOINTS else f"http://{host}:{port}"
            for name, port in SANDBOX_PORTS.items()}


def sandbox_resources(settings: Settings, urls: dict[str, str] | None = None, **overrides) -> dict:
    urls = urls or sandbox_urls()
    ebs = {"base_url": urls["oracle_ebs"], "username": SANDBOX.ebs_user, "password": SANDBOX.ebs_password}
    sap = {"base_url": urls["sap_ecc"], "username": SANDBOX.sap_user, "password": SANDBOX.sap_password}
    sales = {"environment_url": urls["dynamics_sales"], "authority_url": urls["entra"],
             "tenant_id": SANDBOX.tenant_id, "client_id": SANDBOX.client_id, "client_secret": SANDBOX.client_secret}
    fo = {"environment_url": urls["dynamics_fo"], "authority_url": urls["entra"], "tenant_id": SANDBOX.tenant_id,
          "client_id": SANDBOX.client_id, "client_secret": SANDBOX.client_secret}
    return {
        "ledger": LedgerResource(url=settings.ledger_url),
        "oracle_ebs": OracleEbsResource(**{**ebs, **overrides.get("oracle_ebs", {})}),
        "dynamics_fo": DynamicsFoResource(**{**fo, **overrides.get("dynamics_fo", {})}),
        "salesforce": SalesforceResource(**{"my_domain_url": urls["salesforce"],
                                            "client_id": SANDBOX.salesforce_client_id,
                                            "client_secret": SANDBOX.salesforce_client_secret,
                                            "pubsub_endpoint": urls.get("salesforce_pubsub",
                                                                        sandbox_urls()["salesforce_pubsub"]),
                                            "pubsub_tls": False,
                                            **overrides.get("salesforce", {})}),
        "sap_ecc": SapEccResource(**{**sap, **overrides.get("sap_ecc", {})}),
        "dynamics_sales": DynamicsSalesResource(**{**sales, **overrides.get("dynamics_sales", {})}),
    }


_EBS_ENV = {"service_alias": "ORACLE_EBS_SERVICE_ALIAS", "auth_mode": "ORACLE_EBS_AUTH_MODE",
            "responsibility": "ORACLE_EBS_RESPONSIBILITY", "resp_application": "ORACLE_EBS_RESP_APPLICATION",
            "security_group": "ORACLE_EBS_SECURITY_GROUP", "nls_language": "ORACLE_EBS_NLS_LANGUAGE",
            "org_id": "ORACLE_EBS_ORG_ID", "server_timezone": "ORACLE_EBS_SERVER_TIMEZONE",
            "parent_relationship_code": "ORACLE_EBS_PARENT_RELATIONSHIP_CODE", "page_size": "ORACLE_EBS_PAGE_SIZE"}
_SAP_ENV = {"client": "SAP_ECC_CLIENT", "language": "SAP_ECC_LANGUAGE", "service_name": "SAP_ECC_SERVICE_NAME",
            "sysnr": "SAP_ECC_SYSNR", "saprouter": "SAP_ECC_SAPROUTER", "snc_qop": "SAP_ECC_SNC_QOP",
            "snc_myname": "SAP_ECC_SNC_MYNAME", "snc_partnername": "SAP_ECC_SNC_PARTNERNAME",
            "snc_lib": "SAP_ECC_SNC_LIB", "page_size": "SAP_ECC_PAGE_SIZE"}
_SALESFORCE_ENV = {"api_version": "SALESFORCE_API_VERSION", "bulk_threshold": "SALESFORCE_BULK_THRESHOLD",
                   "daily_limit_reserve": "SALESFORCE_DAILY_LIMIT_RESERVE",
                   "pubsub_endpoint": "SALESFORCE_PUBSUB_ENDPOINT", "client_name": "SALESFORCE_CLIENT_NAME",
                   "order_number_field": "SALESFORCE_ORDER_NUMBER_FIELD"}
_FO_ENV = {"authority_url": "DYNAMICS_FO_AUTHORITY_URL", "page_size": "DYNAMICS_FO_PAGE_SIZE",
           "batch_size": "DYNAMICS_FO_BATCH_SIZE"}
_SALES_ENV = {"api_url": "DYNAMICS_SALES_API_URL", "authority_url": "DYNAMICS_SALES_AUTHORITY_URL",
              "external_id_column": "DYNAMICS_SALES_EXTERNAL_ID_COLUMN", "batch_size": "DYNAMICS_SALES_BATCH_SIZE",
              "bulk_mode": "DYNAMICS_SALES_BULK_MODE"}


def _from_env(fields: dict[str, str]) -> dict[str, str]:
    return {field: os.environ[var] for field, var in fields.items() if os.environ.get(var)}


def production_resources(settings: Settings) -> dict:
    ebs, sap, sales = _from_env(_EBS_ENV), _from_env(_SAP_ENV), _from_env(_SALES_ENV)
    transport = os.environ.get("SAP_ECC_TRANSPORT") or "odata"
    sap["base_url" if transport == "odata" else "ashost"] = dg.EnvVar(
        "SAP_ECC_BASE_URL" if transport == "odata" else "SAP_ECC_ASHOST")
    return {
        "ledger": LedgerResource(url=settings.ledger_url),
        "oracle_ebs": OracleEbsResource(base_url=dg.EnvVar("ORACLE_EBS_BASE_URL"),
                                        username=dg.EnvVar("ORACLE_EBS_USERNAME"),
                                        password=dg.EnvVar("ORACLE_EBS_PASSWORD"), **ebs),
        "dynamics_fo": DynamicsFoResource(
            environment_url=dg.EnvVar("DYNAMICS_FO_ENVIRONMENT_URL"), tenant_id=dg.EnvVar("DYNAMICS_FO_TENANT_ID"),
            client_id=dg.EnvVar("DYNAMICS_FO_CLIENT_ID"), client_secret=dg.EnvVar("DYNAMICS_FO_CLIENT_SECRET"),
            **_from_env(_FO_ENV)),
        "salesforce": SalesforceResource(
            my_domain_url=dg.EnvVar("SALESFORCE_MY_DOMAIN_URL"), client_id=dg.EnvVar("SALESFORCE_CLIENT_ID"),
            client_secret=dg.EnvVar("SALESFORCE_CLIENT_SECRET"), **_from_env(_SALESFORCE_ENV)),
        "sap_ecc": SapEccResource(transport=transport, username=dg.EnvVar("SAP_ECC_USERNAME"),
                                  password=dg.EnvVar("SAP_ECC_PASSWORD"), **sap),
        "dynamics_sales": DynamicsSalesResource(
            environment_url=dg.EnvVar("DYNAMICS_SALES_ENVIRONMENT_URL"), tenant_id=dg.EnvVar("DYNAMICS_SALES_TENANT_ID"),
            client_id=dg.EnvVar("DYNAMICS_SALES_CLIENT_ID"), client_secret=dg.EnvVar("DYNAMICS_SALES_CLIENT_SECRET"),
            **sales),
    }


def resources_for(settings: Settings) -> dict:
    return production_resources(settings) if settings.profile == "production" else sandbox_resources(settings)
