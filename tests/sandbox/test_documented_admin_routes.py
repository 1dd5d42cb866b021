"""Every sandbox admin route the README and the docs tell an operator to call exists in the emulator it names, with
that method: the `curl` lines (the port says which emulator) and the routes named in the text (the paragraph, list item
or table row says which: a system's name, or "Every emulator")."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.routing import Match

from ml_connector_dagster.sandbox.stack import build_sandbox
from ml_connector_dagster.systems import SANDBOX_PORTS
from tests.e2e.conftest import JDE_ZOHO

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "sandbox.md", *sorted((ROOT / "docs" / "operators").glob("*.md"))]
SYSTEM_OF_PORT = {str(port): name for name, port in SANDBOX_PORTS.items()}
# How the docs name each emulator in prose, besides its system name.
NAMES = {
    "oracle_ebs": ("oracle_ebs", "EBS"),
    "sap_ecc": ("sap_ecc", "SAP"),
    "jde": ("`jde`", "JD Edwards", "JDE"),
    "dynamics_fo": ("dynamics_fo", "F&O"),
    "dynamics_sales": ("dynamics_sales", "Dataverse"),
    "salesforce": ("salesforce", "Salesforce"),
    "zoho_crm": ("zoho_crm", "Zoho"),
    "procore": ("procore", "Procore"),
    "entra": ("entra", "Entra"),
}
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
# In the order they appear: a curl command (up to the end of its code line or inline code), or a route named in
# inline code with its methods (`GET|POST /_admin/x`, or `.../y`: y beside the route named before it).
MENTION = re.compile(
    r"(?P<curl>curl\b[^`]*)|`(?P<methods>(?:(?:GET|POST|PATCH|PUT|DELETE)\|?)+ )?(?P<route>(?:/_admin|\.\.\.)/[^\s`]*)"
)
ADDRESS = re.compile(r"localhost:(\d+)(/_admin/[^\s'\"`]*)")


@dataclass(frozen=True)
class Mention:
    where: str
    systems: tuple[str, ...]  # served by one of them, or by each of them when `every`
    every: bool
    methods: tuple[str, ...]
    routes: tuple[str, ...]  # `/x[/<id>]` is `/x` and `/x/<id>`: each method is served by one of them


def blocks(text: str) -> list[tuple[str, str]]:
    """(heading, block): paragraphs, list items, table rows and commands (a code block's lines joined where they end
    in a backslash), each under the last heading before it."""
    found, current, in_code, heading = [], [], False, ""

    def close():
        if current:
            found.append((heading, " ".join(" ".join(current).split())))
            current.clear()

    for line in text.splitlines():
        if line.startswith("```"):
            close()
            in_code = not in_code
        elif in_code:
            current.append(line.rstrip().rstrip("\\"))
            if not line.rstrip().endswith("\\"):
                close()
        elif line.startswith("#"):
            close()
            heading = line
        elif not line.strip() or line.startswith(("|", "- ")):
            close()
            if line.strip():
                current.append(line)
        else:
            current.append(line)
    close()
    return found


def mentions(path: Path) -> list[Mention]:
    found, variables = [], {}
    for heading, block in blocks(path.read_text()):
        for name, value in re.findall(r"^(\w+)=(localhost:\d+/\S*)$", block):
            variables[name] = value
        block = re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), m.group(0)), block)
        systems = _named(block) or _named(heading)
        every = block.startswith("Every emulator") or not systems
        systems = tuple(NAMES) if every else systems
        base, methods = None, ("GET",)
        for match in MENTION.finditer(block):
            if match["curl"]:
                command = match["curl"]
                explicit = re.search(r"-X\s+(\w+)", command)
                method = explicit.group(1) if explicit else "POST" if re.search(r"\s-d\s", command) else "GET"
                for port, route in ADDRESS.findall(command):
                    base = Mention(f"{path.name}: {command[:90]}", (SYSTEM_OF_PORT[port],), False, (method,), (route,))
                    found.append(base)
                continue
            methods = tuple(match["methods"].strip().split("|")) if match["methods"] else methods
            route = match["route"]
            if route.startswith("..."):
                if base is None:
                    continue  # beside a vendor route, not an admin one
                route = base.routes[0].rsplit("/", 1)[0] + route[3:]
                where, named, all_of = f"{path.name}: {match[0]}", base.systems, base.every
            else:
                where, named, all_of = f"{path.name}: {match[0]}", systems, every
            mention = Mention(where, named, all_of, methods, tuple(_variants(route)))
            base = base if match["route"].startswith("...") else mention
            found.append(mention)
    return found


def _named(text: str) -> tuple[str, ...]:
    return tuple(system for system, names in NAMES.items() if any(name in text for name in names))


def _variants(route: str) -> list[str]:
    optional = re.search(r"\[([^\]]+)\]", route)
    if optional is None:
        return [route]
    return _variants(route.replace(optional.group(0), "")) + _variants(
        route.replace(optional.group(0), optional.group(1))
    )


@pytest.fixture(scope="module")
def admin_routes():
    sandbox = build_sandbox(size=JDE_ZOHO)
    return {name: emulator.admin() for name, emulator in sandbox.emulators.items()}


def served(routes, method: str, route: str) -> bool:
    concrete = re.sub(r"<[^>]+>", "1", route.split("?")[0]).removeprefix("/_admin")
    scope = {"type": "http", "path": concrete, "method": method}
    return any(candidate.matches(scope)[0] == Match.FULL for candidate in routes)


def serves(routes, mention: Mention) -> bool:
    return all(any(served(routes, m, r) for r in mention.routes) for m in mention.methods) and all(
        any(served(routes, m, r) for m in mention.methods) for r in mention.routes
    )


def test_the_docs_mention_admin_routes_of_every_system_that_has_them():
    named = {system for path in DOCS for mention in mentions(path) if not mention.every for system in mention.systems}
    assert {"oracle_ebs", "sap_ecc", "jde", "dynamics_sales", "dynamics_fo", "salesforce", "zoho_crm", "procore"} <= (
        named
    )


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_admin_route_the_docs_name_is_served_by_the_emulator_they_name(doc, admin_routes):
    wrong = [
        f"{m.where} → {'|'.join(m.methods)} {' or '.join(m.routes)} (in {', '.join(m.systems)})"
        for m in mentions(doc)
        if not (all if m.every else any)(serves(admin_routes[system], m) for system in m.systems)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_salesforce_admin_routes_a_deal_needs_are_documented():
    routes = {
        (method, route.split("?")[0])
        for m in mentions(DOCS[1])
        if m.systems == ("salesforce",)
        for method in m.methods
        for route in m.routes
    }
    for needed in (
        ("GET", "/_admin/sobjects/Account"),
        ("POST", "/_admin/sobjects/Opportunity"),
        ("POST", "/_admin/sobjects/OpportunityLineItem"),
        ("PATCH", "/_admin/sobjects/Opportunity/<opportunity_id>"),
    ):
        assert needed in routes, needed
