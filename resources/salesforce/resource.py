"""The `salesforce` resource: one org reached as a connected app with the client-credentials flow."""

from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager

import httpx
from ml_connector_dagster.resources.salesforce.auth import SalesforceClientCredentials
from ml_connector_dagster.resources.salesforce.client import SalesforceClient
from ml_connector_dagster.resources.salesforce.fit import CHECKS
from ml_connector_dagster.resources.salesforce.limits import DailyLimitTransport
from ml_connector_dagster.resources.salesforce.pubsub import Metadata, PubSubClient
from pydantic import Field, field_validator

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.session_resource import BudgetedResource, http_url
from ml_connector_dagster.systems import sandbox_urls


class SalesforceResource(BudgetedResource):
    """Connection to one Salesforce org (docs/operators/salesforce.md)."""

    system = "salesforce"
    fit_checks = CHECKS
    secrets = frozenset({"client_secret", "budget_url"})

    my_domain_url: str = Field(
        description="https://<my-domain>.my.salesforce.com: the token endpoint's host; the "
        "API host comes from the token's instance_url"
    )
    client_id: str = Field(description="consumer key of the connected (or external client) app")
    client_secret: str = Field(description="its consumer secret; set it with dg.EnvVar, never inline", repr=False)
    api_version: str = Field(default="63.0", pattern=r"^\d{2}\.0$", description="REST API version, e.g. 62.0")
    external_id_fields: dict[str, str] = Field(
        default={"Account": "ERP_Account_Number__c", "Product2": "ERP_Item_Number__c"},
        description="sObject → its External ID field holding the ERP key",
    )
    batch_size: int = Field(
        default=10000,
        ge=1,
        description="records per load batch; a batch is sent as sObject "
        "Collections calls or, from bulk_threshold on, as one Bulk API 2.0 job",
    )
    bulk_threshold: int = Field(
        default=2000,
        ge=201,
        description="batches of at least this many records go "
        "through one Bulk API 2.0 job instead of sObject Collections (200 per call)",
    )
    max_parallel_batches: int = Field(
        default=4,
        ge=1,
        le=25,
        description="load batches in flight at once; Salesforce sends no hint and limits only calls of 20 s or "
        "longer (25 at once in production, 5 in Developer and trial orgs)",
    )
    daily_limit_reserve: int = Field(
        default=1000,
        ge=0,
        description="stop every run against the org when fewer than this many daily API requests would remain, "
        "leaving them to other integrations and users; keep it above the requests in flight at once",
    )
    daily_limit_recheck_seconds: float = Field(
        default=60,
        ge=0,
        description="how long what Salesforce last said of the org's daily requests stands for every run: a run "
        "started within it of one that stopped at the reserve sends nothing; after it, the next run asks again (0: "
        "every run asks)",
    )
    pubsub_endpoint: str = Field(
        default="api.pubsub.salesforce.com:7443",
        pattern=r"^[\w.-]+:\d+$",
        description="host:port of the Pub/Sub API (gRPC) for Change Data Capture; regional "
        "hosts exist, e.g. api.deu4.pubsub.salesforce.com:7443",
    )
    pubsub_tls: bool = Field(
        default=True, description="TLS to the Pub/Sub API; only the sandbox's loopback endpoint is reached without"
    )
    client_name: str = Field(
        default="ml-connector",
        pattern=r"^[A-Za-z0-9_.-]{1,40}$",
        description="sent as Sforce-Call-Options: client=<name>; change events of the "
        "connector's own writes carry it, so the CDC sensor ignores them",
    )
    order_number_field: str = Field(
        default="ERP_Sales_Order_Number__c",
        pattern=r"^\w+$",
        description="field on Opportunity and Order that shows the F&O sales order "
        "number the connector made from the deal",
    )

    @field_validator("my_domain_url")
    @classmethod
    def _https(cls, value: str) -> str:
        return http_url(value, "https://acme.my.salesforce.com")

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> "SalesforceResource":
        return cls(
            **{
                "my_domain_url": urls["salesforce"],
                "client_id": SANDBOX.salesforce_client_id,
                "client_secret": SANDBOX.salesforce_client_secret,
                "pubsub_endpoint": urls.get("salesforce_pubsub", sandbox_urls()["salesforce_pubsub"]),
                "pubsub_tls": False,
                **overrides,
            }
        )

    def connect(self, stack: ExitStack) -> SalesforceClient:
        auth = self._auth(stack)
        auth.token()  # the API's host is only known from the token answer
        counter = CallCounter()
        headers = {"Accept": "application/json", "Sforce-Call-Options": f"client={self.client_name}"}
        http = self.http_client(
            auth.instance_url,
            auth=auth,
            counter=counter,
            headers=headers,
            # The daily allocation is the org's (§1.9), whichever user or app spends it.
            transport=DailyLimitTransport(
                httpx.HTTPTransport(),
                allowance=self.allowance(self.my_domain_url, fresh_seconds=self.daily_limit_recheck_seconds),
                reserve=self.daily_limit_reserve,
            ),
        )
        return stack.enter_context(
            closing(
                SalesforceClient(
                    http,
                    counter=counter,
                    api_version=self.api_version,
                    external_id_fields=self.external_id_fields,
                    bulk_threshold=self.bulk_threshold,
                    parallelism=self.max_parallel_batches,
                )
            )
        )

    @contextmanager
    def pubsub(self) -> Iterator[PubSubClient]:
        """A Pub/Sub API client (Change Data Capture) on a token of its own; the org id of the token's identity
        URL is the tenantid the API asks for."""
        with self.closing_stack() as stack:
            auth = self._auth(stack)

            def metadata(renew: bool) -> Metadata:
                token = auth.token(renew=renew)
                return ("accesstoken", token), ("instanceurl", auth.instance_url), ("tenantid", auth.org_id)

            yield stack.enter_context(
                closing(
                    PubSubClient(
                        self.pubsub_endpoint, metadata=metadata, secure=self.pubsub_tls, retry=self.retry_policy()
                    )
                )
            )

    def _auth(self, stack: ExitStack) -> SalesforceClientCredentials:
        return stack.enter_context(
            closing(
                SalesforceClientCredentials(
                    my_domain_url=self.my_domain_url,
                    client_id=self.client_id,
                    client_secret=self.client_secret,
                    settings=self.settings_to_check("client_id", "client_secret"),
                    retry=self.retry_policy(),
                )
            )
        )
