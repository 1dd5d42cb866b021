"""What `ml-connector ping` checks of a Dynamics 365 F&O environment (ml_connector_dagster/fit.py)."""

from ml_connector_dagster.resources.dynamics_fo.targets import DynamicsFoWriter

from ml_connector_dagster.fit import Check, Probe, Unfit, authenticated_call

# What the pairs read of each legal entity (customers and released products become Accounts and Product2) and
# write (sales orders); each is asked for one row of the legal entity, through the cross-company filter the reads
# use.
ENTITY_SETS = {
    "CustomersV3": "CustomerAccount",
    "ReleasedProductsV2": "ItemNumber",
    "SalesOrderHeadersV2": "SalesOrderNumber",
}
# Read by the forward flow: a legal entity where neither holds a row has nothing to sync.
READ = ("CustomersV3", "ReleasedProductsV2")


def legal_entities(probe: Probe) -> str:
    """F&O answers a legal entity the app's user has no role in as it answers one without rows: with nothing
    (microsoft.md §3.2: cross-company returns the companies the user may see). So a configured legal entity where
    neither customers nor released products answer a row is reported, as a mistyped or inaccessible company."""
    client: DynamicsFoWriter = probe.session
    empty, found = [], []
    for entity in probe.settings.fo_legal_entities:
        holding = [
            entity_set
            for entity_set, key in ENTITY_SETS.items()
            if next(client.rows(entity_set, select=["dataAreaId", key], company=entity, top=1), None)
        ]
        if not any(entity_set in holding for entity_set in READ):
            empty.append(entity)
        found.append(f"{entity}: {', '.join(holding) or 'nothing'}")
    if empty:
        raise Unfit(
            f"no customer or released product answers for {', '.join(empty)} (a legal entity that does not exist, "
            "or one the app's user has no role in)"
        )
    return "; ".join(found)


CHECKS = (
    authenticated_call(
        "register the app under System administration > Setup > Microsoft Entra applications, "
        "and check the Entra settings",
    ),
    Check(
        "entities answer for each legal entity",
        legal_entities,
        "check ML_CONNECTOR_FO_LEGAL_ENTITIES, and give the app's F&O user a role in each of them",
    ),
)
