"""The sandbox's well-known credentials (like LocalStack's `test`/`test`): they open only the local emulators."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxCredentials:
    ebs_user: str = "MLC_SYNC"
    ebs_password: str = "sandbox-ebs-password"
    sap_user: str = "MLC_SYNC"
    sap_password: str = "sandbox-sap-password"
    webhook_key: str = "sandbox-webhook-key"
    salesforce_client_id: str = "3MVG9sandbox.connected.app.ml.connector"
    salesforce_client_secret: str = "sandbox-salesforce-secret"
    tenant_id: str = "00000000-0000-0000-0000-0000000000a1"
    client_id: str = "11111111-1111-1111-1111-111111111111"
    client_secret: str = "sandbox-dataverse-secret"
    zoho_client_id: str = "1000.SANDBOXMLCONNECTOR"
    zoho_client_secret: str = "sandbox-zoho-secret"
    zoho_refresh_token: str = "1000.sandbox-us.refresh-token"  # the sandbox org, data centre `us`
    zoho_eu_refresh_token: str = "1000.sandbox-eu.refresh-token"  # a second org in data centre `eu`, for tests
    zoho_webhook_token: str = "sandbox-zoho-channel-token"  # the notification channel token
    jde_user: str = "MLC_SYNC"
    jde_password: str = "sandbox-jde-password"
    jde_environment: str = "JDV920"
    jde_role: str = "*ALL"
    procore_client_id: str = "sandbox-procore-client"
    procore_client_secret: str = "sandbox-procore-secret"
    procore_company_id: int = 4262
    procore_webhook_key: str = "sandbox-procore-webhook-key"


SANDBOX = SandboxCredentials()
