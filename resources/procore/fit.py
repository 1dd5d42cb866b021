"""What `ml-connector ping` checks of a Procore company (ml_connector_dagster/fit.py)."""

from ml_connector_dagster.fit import Check, Probe, Unfit

LEVELS = ("None", "Read Only", "Standard", "Admin")
# What each flow does with each tool: EBS → Procore writes vendors (Directory), cost codes and purchase order
# contracts (Commitments); Procore → EBS reads requisitions and commitment change orders. The tool names are the
# sandbox's (guess: a real manifest names tools its own way, sandbox/procore/settings.py).
NEEDED = {
    "projects": "Read Only",
    "directory": "Standard",
    "cost_codes": "Standard",
    "commitments": "Standard",
    "requisitions": "Read Only",
    "change_orders": "Read Only",
}


def company_access(probe: Probe) -> str:
    """The authenticated call: the configured company is among those the app reaches (it is installed there)."""
    companies = {company["id"]: company for company in probe.session.companies()}
    company = companies.get(probe.resource.company_id)
    if company is None or not company.get("is_active", True):
        raise Unfit(
            f"the app reaches no company {probe.resource.company_id} "
            f"(it reaches {', '.join(str(c) for c in sorted(companies)) or 'none'})"
        )
    return f"client-credentials token; company {company['id']} ({company.get('name', '')})"


def tool_permissions(probe: Probe) -> str:
    needed = dict(NEEDED)
    if probe.resource.webhook_url:
        needed["webhooks"] = "Admin"  # the connector registers its own hooks
    granted = probe.session.tool_levels()
    short = [
        f"{tool} ({granted.get(tool, 'None')}, needs {level})"
        for tool, level in needed.items()
        if LEVELS.index(granted.get(tool, "None")) < LEVELS.index(level)
    ]
    if short:
        raise Unfit(f"the app's permissions fall short on {', '.join(short)}")
    return ", ".join(f"{tool} {granted[tool]}" for tool in needed)


CHECKS = (
    Check(
        "company access",
        company_access,
        "install the app in the company (Company Admin > App Management) and check PROCORE_COMPANY_ID",
    ),
    Check(
        "tool permissions",
        tool_permissions,
        "grant the app's service account the permissions listed in its manifest on each tool",
    ),
)
