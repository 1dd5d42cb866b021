"""What each system's resource declares about its own configuration: the sandbox's, and production's from the
environment with variable names derived from the fields."""

from contextlib import ExitStack

import dagster as dg
import pytest
from ml_connector_dagster.resources.dynamics_fo import DynamicsFoResource
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource
from ml_connector_dagster.resources.jde import JdeResource
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource
from ml_connector_dagster.resources.procore import ProcoreResource
from ml_connector_dagster.resources.salesforce import SalesforceResource
from ml_connector_dagster.resources.sap_ecc import SapEccResource
from ml_connector_dagster.resources.zoho_crm import ZohoCrmResource

from ml_connector_dagster.connections import SYSTEM_RESOURCES, sandbox_urls
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.settings import SettingsError
from ml_connector_dagster.systems import SYSTEMS

# The names deployments set before the names were derived; each must still reach its field.
NAMES_IN_USE = {
    OracleEbsResource: [
        "ORACLE_EBS_BASE_URL",
        "ORACLE_EBS_USERNAME",
        "ORACLE_EBS_PASSWORD",
        "ORACLE_EBS_SERVICE_ALIAS",
        "ORACLE_EBS_AUTH_MODE",
        "ORACLE_EBS_RESPONSIBILITY",
        "ORACLE_EBS_RESP_APPLICATION",
        "ORACLE_EBS_SECURITY_GROUP",
        "ORACLE_EBS_NLS_LANGUAGE",
        "ORACLE_EBS_ORG_ID",
        "ORACLE_EBS_SERVER_TIMEZONE",
        "ORACLE_EBS_PARENT_RELATIONSHIP_CODE",
        "ORACLE_EBS_PAGE_SIZE",
    ],
    SapEccResource: [
        "SAP_ECC_TRANSPORT",
        "SAP_ECC_BASE_URL",
        "SAP_ECC_ASHOST",
        "SAP_ECC_USERNAME",
        "SAP_ECC_PASSWORD",
        "SAP_ECC_CLIENT",
        "SAP_ECC_LANGUAGE",
        "SAP_ECC_SERVICE_NAME",
        "SAP_ECC_SYSNR",
        "SAP_ECC_SAPROUTER",
        "SAP_ECC_SNC_QOP",
        "SAP_ECC_SNC_MYNAME",
        "SAP_ECC_SNC_PARTNERNAME",
        "SAP_ECC_SNC_LIB",
        "SAP_ECC_PAGE_SIZE",
    ],
    DynamicsSalesResource: [
        "DYNAMICS_SALES_ENVIRONMENT_URL",
        "DYNAMICS_SALES_TENANT_ID",
        "DYNAMICS_SALES_CLIENT_ID",
        "DYNAMICS_SALES_CLIENT_SECRET",
        "DYNAMICS_SALES_API_URL",
        "DYNAMICS_SALES_AUTHORITY_URL",
        "DYNAMICS_SALES_EXTERNAL_ID_COLUMN",
        "DYNAMICS_SALES_BATCH_SIZE",
        "DYNAMICS_SALES_BULK_MODE",
    ],
    DynamicsFoResource: [
        "DYNAMICS_FO_ENVIRONMENT_URL",
        "DYNAMICS_FO_TENANT_ID",
        "DYNAMICS_FO_CLIENT_ID",
        "DYNAMICS_FO_CLIENT_SECRET",
        "DYNAMICS_FO_AUTHORITY_URL",
        "DYNAMICS_FO_PAGE_SIZE",
        "DYNAMICS_FO_BATCH_SIZE",
    ],
    SalesforceResource: [
        "SALESFORCE_MY_DOMAIN_URL",
        "SALESFORCE_CLIENT_ID",
        "SALESFORCE_CLIENT_SECRET",
        "SALESFORCE_API_VERSION",
        "SALESFORCE_BULK_THRESHOLD",
        "SALESFORCE_DAILY_LIMIT_RESERVE",
        "SALESFORCE_PUBSUB_ENDPOINT",
        "SALESFORCE_CLIENT_NAME",
        "SALESFORCE_ORDER_NUMBER_FIELD",
    ],
    JdeResource: [
        "JDE_AIS_URL",
        "JDE_USERNAME",
        "JDE_PASSWORD",
        "JDE_ENVIRONMENT",
        "JDE_ROLE",
        "JDE_DATE_LITERAL",
        "JDE_SERVER_TIME_ZONE",
        "JDE_TOKEN_REFRESH_MINUTES",
        "JDE_PAGE_SIZE",
        "JDE_BATCH_SIZE",
    ],
    ZohoCrmResource: [
        "ZOHO_CRM_DATA_CENTRE",
        "ZOHO_CRM_ACCOUNTS_URL",
        "ZOHO_CRM_CLIENT_ID",
        "ZOHO_CRM_CLIENT_SECRET",
        "ZOHO_CRM_REFRESH_TOKEN",
        "ZOHO_CRM_NOTIFY_URL",
        "ZOHO_CRM_WEBHOOK_KEY",
    ],
    ProcoreResource: [
        "PROCORE_API_URL",
        "PROCORE_LOGIN_URL",
        "PROCORE_CLIENT_ID",
        "PROCORE_CLIENT_SECRET",
        "PROCORE_COMPANY_ID",
        "PROCORE_WEBHOOK_URL",
        "PROCORE_WEBHOOK_KEY",
    ],
}


@pytest.mark.parametrize("kind", list(NAMES_IN_USE), ids=lambda kind: kind.system)
def test_the_derived_variable_names_are_the_ones_deployments_already_set(kind):
    derived = {kind.environment_variable(name) for name in kind.environment_fields()}
    assert set(NAMES_IN_USE[kind]) <= derived


def test_every_system_resource_is_in_the_list():
    assert set(NAMES_IN_USE) == set(SYSTEM_RESOURCES)


@pytest.mark.parametrize("kind", SYSTEM_RESOURCES, ids=lambda kind: kind.system)
def test_declarations_name_a_system_and_hidden_secret_fields_and_are_not_config(kind):
    assert kind.system in SYSTEMS
    assert kind.secrets and all(kind.model_fields[name].repr is False for name in kind.secrets)
    config = kind.sandbox(sandbox_urls()).get_resource_definition().config_schema.config_type.fields
    assert set(config) == set(kind.model_fields)
    assert not {"system", "secrets"} & set(config)
    assert {"timeout_seconds", "max_attempts", "max_retry_wait_seconds"} <= set(config)


def test_production_settings_come_from_the_environment_with_secrets_left_to_launch():
    ebs = OracleEbsResource.from_environment(
        {
            "ORACLE_EBS_BASE_URL": "https://ebs.example.com:4443/",
            "ORACLE_EBS_PASSWORD": "not-read-now",
            "ORACLE_EBS_ORG_ID": "ALL",
            "ORACLE_EBS_PAGE_SIZE": "900",
            "ORACLE_EBS_AUTH_MODE": "basic",
            "ORACLE_EBS_SERVER_TIMEZONE": "Europe/Berlin",
            "ORACLE_EBS_MAX_ATTEMPTS": "2",
            "ORACLE_EBS_NLS_LANGUAGE": "",
        }
    )
    assert ebs.base_url == "https://ebs.example.com:4443"
    assert isinstance(ebs.password, dg.EnvVar) and ebs.password == "ORACLE_EBS_PASSWORD"
    assert isinstance(ebs.username, dg.EnvVar) and ebs.username == "ORACLE_EBS_USERNAME", "required and unset"
    assert (ebs.org_id, ebs.page_size, ebs.auth_mode, ebs.server_timezone) == (None, 900, "basic", "Europe/Berlin")
    assert ebs.retry_policy().max_attempts == 2
    assert ebs.nls_language == "AMERICAN", "an empty variable means the default"


def test_production_settings_of_every_kind_of_field_are_parsed():
    sales = DynamicsSalesResource.from_environment(
        {
            "DYNAMICS_SALES_BULK_MODE": "batch",
            "DYNAMICS_SALES_BATCH_SIZE": "250",
            "DYNAMICS_SALES_WINDOW_SECONDS": "60.5",
        }
    )
    assert (sales.bulk_mode, sales.batch_size, sales.window_seconds) == ("batch", 250, 60.5)
    assert sales.client_secret == "DYNAMICS_SALES_CLIENT_SECRET"
    salesforce = SalesforceResource.from_environment(
        {"SALESFORCE_API_VERSION": "62.0", "SALESFORCE_PUBSUB_TLS": "false"}
    )
    assert (salesforce.api_version, salesforce.pubsub_tls) == ("62.0", False)
    assert salesforce.external_id_fields["Account"] == "ERP_Account_Number__c", "run config only, so the default"


@pytest.mark.parametrize(
    "transport, required, absent", [("odata", "base_url", "ashost"), ("rfc", "ashost", "base_url")]
)
def test_sap_requires_the_host_of_its_transport(transport, required, absent):
    sap = SapEccResource.from_environment(
        {"SAP_ECC_TRANSPORT": transport, "SAP_ECC_SNC_LIB": "/opt/sap/libsapcrypto.so"}
    )
    assert getattr(sap, required) == SapEccResource.environment_variable(required)
    assert isinstance(getattr(sap, required), dg.EnvVar)
    assert getattr(sap, absent) is None
    assert sap.snc_lib == "/opt/sap/libsapcrypto.so"


def test_a_bad_production_value_names_the_field_and_its_variable():
    with pytest.raises(SettingsError, match=r"^SAP_ECC_CLIENT='12': not of the accepted form; accepted: .*\\d\{3\}"):
        SapEccResource.from_environment({"SAP_ECC_CLIENT": "12"})


def test_resolved_settings_read_secrets_now_and_name_a_missing_variable():
    environ = {"SALESFORCE_MY_DOMAIN_URL": "https://acme.my.salesforce.com", "SALESFORCE_CLIENT_ID": "key"}
    with pytest.raises(SettingsError, match="SALESFORCE_CLIENT_SECRET is not set"):
        SalesforceResource.from_environment(environ, resolve=True)
    resolved = SalesforceResource.from_environment({**environ, "SALESFORCE_CLIENT_SECRET": "s3cret"}, resolve=True)
    assert not isinstance(resolved.client_secret, dg.EnvVar) and resolved.client_secret == "s3cret"


def test_sandbox_configuration_points_at_the_emulators_with_their_credentials():
    urls = sandbox_urls("10.0.0.5")
    ebs = OracleEbsResource.sandbox(urls, page_size=1000)
    assert (ebs.base_url, ebs.username, ebs.password, ebs.page_size) == (
        "http://10.0.0.5:18101",
        SANDBOX.ebs_user,
        SANDBOX.ebs_password,
        1000,
    )
    sap = SapEccResource.sandbox(urls)
    assert (sap.transport, sap.base_url, sap.username) == ("odata", "http://10.0.0.5:18102", SANDBOX.sap_user)
    sales = DynamicsSalesResource.sandbox(urls)
    assert (sales.environment_url, sales.authority_url, sales.client_secret) == (
        "http://10.0.0.5:18105",
        "http://10.0.0.5:18110",
        SANDBOX.client_secret,
    )
    fo = DynamicsFoResource.sandbox(urls, max_retry_wait_seconds=2)
    assert (fo.environment_url, fo.tenant_id, fo.max_retry_wait_seconds) == (
        "http://10.0.0.5:18104",
        SANDBOX.tenant_id,
        2,
    )
    salesforce = SalesforceResource.sandbox(urls)
    assert (salesforce.my_domain_url, salesforce.client_id, salesforce.pubsub_endpoint, salesforce.pubsub_tls) == (
        "http://10.0.0.5:18106",
        SANDBOX.salesforce_client_id,
        "10.0.0.5:18116",
        False,
    )


def test_the_zoho_sandbox_is_the_us_accounts_server_of_the_emulator_and_its_channel_token_the_receivers_key():
    zoho = ZohoCrmResource.sandbox(sandbox_urls("10.0.0.5"))
    assert (zoho.accounts_url, zoho.refresh_token, zoho.channel_token) == (
        "http://10.0.0.5:18107/accounts/us",
        SANDBOX.zoho_refresh_token,
        SANDBOX.zoho_webhook_token,
    )


def test_the_procore_sandbox_is_one_emulator_for_login_and_api_and_its_webhook_key_the_receivers():
    procore = ProcoreResource.sandbox(sandbox_urls("10.0.0.5"))
    assert (procore.api_url, procore.login_url, procore.company_id, procore.webhook_key) == (
        "http://10.0.0.5:18108",
        "http://10.0.0.5:18108",
        SANDBOX.procore_company_id,
        SANDBOX.procore_webhook_key,
    )
    production = ProcoreResource.from_environment({"PROCORE_COMPANY_ID": "4262", "PROCORE_WEBHOOK_KEY": "key"})
    assert production.company_id == 4262 and production.client_secret == "PROCORE_CLIENT_SECRET"
    assert isinstance(production.webhook_key, dg.EnvVar) and production.webhook_key == "PROCORE_WEBHOOK_KEY"
    unset = ProcoreResource.from_environment({})
    with pytest.raises(SettingsError, match="PROCORE_COMPANY_ID is not set"):
        unset.connect(ExitStack())


def test_an_optional_secret_the_environment_does_not_set_stays_unset():
    assert ZohoCrmResource.from_environment({}).channel_token is None
    zoho = ZohoCrmResource.from_environment({"ZOHO_CRM_WEBHOOK_KEY": "token", "ZOHO_CRM_DATA_CENTRE": "eu"})
    assert isinstance(zoho.channel_token, dg.EnvVar) and zoho.channel_token == "ZOHO_CRM_WEBHOOK_KEY"
    assert zoho.data_centre == "eu" and zoho.refresh_token == "ZOHO_CRM_REFRESH_TOKEN"


def test_a_sandbox_without_its_own_pubsub_endpoint_uses_the_fixed_port():
    urls = {name: url for name, url in sandbox_urls("10.0.0.5").items() if name != "salesforce_pubsub"}
    assert SalesforceResource.sandbox(urls).pubsub_endpoint == "127.0.0.1:18116"
