"""What `ml-connector ping` checks of a Zoho CRM org (ml_connector_dagster/fit.py)."""

from ml_connector_dagster.fit import Check, Probe, Unfit, authenticated_call
from ml_connector_dagster.mapping.jde_zoho_crm import ACCOUNT_KEY_FIELD, ACCOUNTS, CONTACT_KEY_FIELD, CONTACTS

# The JDE key each module is upserted by: a custom field, unique, which the administrator creates.
KEY_FIELDS = {ACCOUNTS: ACCOUNT_KEY_FIELD, CONTACTS: CONTACT_KEY_FIELD}


def key_fields(probe: Probe) -> str:
    missing = []
    for module, name in KEY_FIELDS.items():
        field = probe.session.fields(module).get(name)
        if field is None:
            missing.append(f"{module}.{name} (no such field)")
        elif not field.get("unique"):
            missing.append(f"{module}.{name} (not unique)")
    if missing:
        raise Unfit(f"the JDE key fields are not set up: {', '.join(missing)}")
    return ", ".join(f"{module}.{name}" for module, name in KEY_FIELDS.items()) + " (unique)"


CHECKS = (
    # The refresh token is known only to the accounts server of the data centre the account lives in, whose token
    # answer names the API domain: a sign-in that works proves the data centre.
    authenticated_call(
        "set ZOHO_CRM_DATA_CENTRE to the account's data centre (the domain you sign in to Zoho at), "
        "and check the self client and its refresh token",
    ),
    Check(
        "modules and JDE key fields",
        key_fields,
        "create the custom fields, each Single Line and Do not allow duplicate values",
    ),
)
