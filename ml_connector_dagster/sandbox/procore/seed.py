"""The sandbox company (the contract's): Vision Construction, company 4262, with three projects and no vendors or
commitments (the connector creates them). Project 101 holds two cost codes a project controller entered before
go-live, with no origin_id, for the connector's "map by name or numeric id" case: division `01` General
Requirements and under it `5100` General Conditions Labor (full code `01-5100`). Seeded only into an empty store."""

from ml_connector_dagster.sandbox.procore.company import USER, Company
from ml_connector_dagster.sandbox.procore.cost_codes import CostCodes

# (id, name, project number: the EBS cost centre of the project, a guess at how the company numbers them)
PROJECTS = (
    (101, "Harbor Point Tower", "1100"),
    (102, "Riverside Clinic", "1200"),
    (103, "Depot Yard Expansion", "1300"),
)


def seed(company: Company) -> None:
    if company.rows("projects"):
        return
    now = company.now()
    for project_id, name, number in PROJECTS:
        company.store.put(
            "projects",
            {
                "id": project_id,
                "company_id": company.id,
                "name": name,
                "project_number": number,
                "active": True,
                "origin_id": None,
                "origin_data": None,
                "created_at": now,
                "updated_at": now,
            },
        )
    cost_codes = CostCodes(company, company.store.get("projects", 101), USER)
    division = cost_codes.create({"code": "01", "name": "General Requirements"})
    cost_codes.create({"code": "5100", "name": "General Conditions Labor", "parent_id": division["id"]})


def render_project(company: Company, row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "display_name": f"{row['project_number']} - {row['name']}",
        "project_number": row["project_number"],
        "active": row["active"],
        "company": {"id": company.id, "name": company.name},
        "origin_id": row.get("origin_id"),
        "origin_data": row.get("origin_data"),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
