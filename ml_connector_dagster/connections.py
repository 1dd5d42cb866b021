"""The resources of a deployment profile: the sandbox's emulators, or real systems from environment variables and
the credentials `ml-connector connect` stored (credentials.py), a variable that is set winning over a stored value.

Each system's resource class declares both (`sandbox`, `from_environment`); this module only walks the list.
Adding a system is its resource class and one entry in SYSTEM_RESOURCES.
"""

import os
from collections.abc import Iterable

from ml_connector_dagster.credentials import CredentialStore
from ml_connector_dagster.resources.dynamics_fo import DynamicsFoResource
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource
from ml_connector_dagster.resources.jde import JdeResource
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource
from ml_connector_dagster.resources.procore import ProcoreResource
from ml_connector_dagster.resources.salesforce import SalesforceResource
from ml_connector_dagster.resources.sap_ecc import SapEccResource
from ml_connector_dagster.resources.zoho_crm import ZohoCrmResource
from ml_connector_dagster.session_resource import BudgetedResource, SystemResource
from ml_connector_dagster.settings import Settings, SettingsError
from ml_connector_dagster.systems import sandbox_urls

__all__ = [
    "SYSTEM_RESOURCES",
    "check_environment",
    "deployment_fields",
    "ledger_resource",
    "production_resource",
    "production_resources",
    "resources_for",
    "sandbox_environment",
    "sandbox_resources",
    "sandbox_urls",
    "stored_webhook_keys",
]

SYSTEM_RESOURCES: tuple[type[SystemResource], ...] = (
    OracleEbsResource,
    SapEccResource,
    JdeResource,
    DynamicsFoResource,
    DynamicsSalesResource,
    SalesforceResource,
    ZohoCrmResource,
    ProcoreResource,
)


def ledger_resource(settings: Settings) -> LedgerResource:
    """The ledger, with the lease and drift settings the deployment sets; the others keep the resource's defaults."""
    shared = [name for name in LedgerResource.model_fields if name != "url" and name in Settings.model_fields]
    chosen = {name: getattr(settings, name) for name in shared if getattr(settings, name) is not None}
    return LedgerResource(url=settings.ledger_url, **chosen)


def sandbox_resources(settings: Settings, urls: dict[str, str] | None = None, **overrides) -> dict:
    """`overrides` by system name, e.g. `oracle_ebs={"page_size": 1000}`."""
    urls = urls or sandbox_urls()
    return {
        "ledger": ledger_resource(settings),
        **{
            kind.system: kind.sandbox(urls, **_shared_budget(kind, settings), **overrides.get(kind.system, {}))
            for kind in SYSTEM_RESOURCES
        },
    }


def sandbox_environment(urls: dict[str, str]) -> dict[str, str]:
    """The production profile's system variables set to the sandbox resources' values: processes that load the code
    location themselves (a run's, a Celery worker's) pointed at the emulators, as a deployment points them."""
    environment = {"ML_CONNECTOR_PROFILE": "production"}
    for kind in SYSTEM_RESOURCES:
        resource = kind.sandbox(urls)
        for name in kind.environment_fields():
            if getattr(resource, name) is not None:
                environment[kind.environment_variable(name)] = str(getattr(resource, name))
    return environment


def _shared_budget(kind: type[SystemResource], settings: Settings) -> dict:
    """Every run against a system shares its request budget, kept in the ledger's database."""
    return {"budget_url": settings.ledger_url} if issubclass(kind, BudgetedResource) else {}


def deployment_fields(kind: type[SystemResource], settings: Settings) -> set[str]:
    """A system's fields the deployment sets itself, whatever a variable or the credential store says."""
    return set(_shared_budget(kind, settings))


def production_resource(
    kind: type[SystemResource], settings: Settings, *, resolve: bool = False, **overrides
) -> SystemResource:
    """A system's production resource: each value from its environment variable when set, else from the credentials
    stored in the ledger's database (`SystemResource.from_environment`, `resolve` and `overrides` as there)."""
    stored = CredentialStore(settings.ledger_url).values(kind.system, kind.environment_variable, os.environ)
    return kind.from_environment(os.environ, stored=stored, resolve=resolve, **overrides)


def stored_webhook_keys(settings: Settings) -> dict[str, str]:
    """By system, the stored receiver key of each system whose resource has a `<SYSTEM>_WEBHOOK_KEY` (the key it
    registers its hook or channel with), where that variable is not set: the receiver must accept the key the
    resource registers."""
    keys: dict[str, str] = {}
    for kind in SYSTEM_RESOURCES:
        variable = f"{kind.system.upper()}_WEBHOOK_KEY"
        fields = [name for name in kind.environment_fields() if kind.environment_variable(name) == variable]
        if fields and not os.environ.get(variable):
            stored = CredentialStore(settings.ledger_url).values(kind.system, kind.environment_variable, os.environ)
            if fields[0] in stored:
                keys[kind.system] = stored[fields[0]]
    return keys


def production_resources(settings: Settings) -> dict:
    """A bad value of any system is named with every other one (one line each), not only the first system's."""
    resources: dict = {"ledger": ledger_resource(settings)}
    bad: list[str] = []
    for kind in SYSTEM_RESOURCES:
        try:
            resources[kind.system] = production_resource(kind, settings, **_shared_budget(kind, settings))
        except SettingsError as error:
            bad += error.problems
    if bad:
        raise SettingsError(*bad)
    return resources


def check_environment(settings: Settings, systems: Iterable[str]) -> None:
    """In the production profile, every variable the systems' runs will read, read now: a command that runs jobs in
    its own process names a missing or bad one (a SettingsError, one line each) before the run, instead of Dagster's
    config error at launch."""
    if settings.profile != "production":
        return
    kinds = {kind.system: kind for kind in SYSTEM_RESOURCES}
    bad: list[str] = []
    for system in dict.fromkeys(systems):
        try:
            production_resource(kinds[system], settings, resolve=True)
        except SettingsError as error:
            bad += error.problems
    if bad:
        raise SettingsError(*bad)


def resources_for(settings: Settings) -> dict:
    return production_resources(settings) if settings.profile == "production" else sandbox_resources(settings)
