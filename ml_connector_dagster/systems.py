"""The one vocabulary for the eight systems: module names, asset key prefixes, groups, config sections, ports."""

from typing import Literal

System = Literal["oracle_ebs", "sap_ecc", "jde", "dynamics_fo", "dynamics_sales", "salesforce", "zoho_crm", "procore"]

SYSTEMS: tuple[str, ...] = (
    "oracle_ebs",
    "sap_ecc",
    "jde",
    "dynamics_fo",
    "dynamics_sales",
    "salesforce",
    "zoho_crm",
    "procore",
)

# Fixed loopback ports of `ml-connector sandbox`. `entra` is not one of the eight systems: it is the Microsoft
# identity platform that both Dynamics systems authenticate against, so the sandbox serves it too.
# `salesforce_pubsub` is not a ninth system either: it is the gRPC endpoint (Pub/Sub API) of the salesforce
# emulator, reached as host:port without a scheme.
SANDBOX_PORTS: dict[str, int] = {
    "oracle_ebs": 18101,
    "sap_ecc": 18102,
    "jde": 18103,
    "dynamics_fo": 18104,
    "dynamics_sales": 18105,
    "salesforce": 18106,
    "zoho_crm": 18107,
    "procore": 18108,
    "entra": 18110,
    "salesforce_pubsub": 18116,
}
GRPC_ENDPOINTS = frozenset({"salesforce_pubsub"})


def sandbox_urls(host: str = "127.0.0.1") -> dict[str, str]:
    return {
        name: f"{host}:{port}" if name in GRPC_ENDPOINTS else f"http://{host}:{port}"
        for name, port in SANDBOX_PORTS.items()
    }
