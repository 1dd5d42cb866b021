"""What `ml-connector ping` checks of an Oracle EBS instance (ml_connector_dagster/fit.py)."""

from datetime import UTC, datetime, timedelta

from ml_connector_dagster.resources.oracle_ebs.service import EbsService

from ml_connector_dagster.fit import Check, Probe


def _empty_window() -> dict[str, str]:
    """A one-second window, one row at most: a call that costs the database nothing, whatever it holds."""
    end = datetime.now(UTC)
    return {
        "P_LAST_UPDATE_FROM": (end - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        "P_LAST_UPDATE_TO": end.strftime("%Y-%m-%dT%H:%M:%S"),
        "P_OFFSET": "0",
        "P_LIMIT": "1",
    }


def read_service(probe: Probe) -> str:
    """The authenticated call: the service answers under its alias for this user and responsibility. Without
    Org_Id, so that an operating unit outside the responsibility's profile is the next check's failure."""
    service: EbsService = probe.session
    header = {name: value for name, value in service.rest_header.items() if name != "Org_Id"}
    service.call("GET_PARTIES", _empty_window(), header)
    return f"{probe.resource.auth_mode} sign-in; XXMLC_SYNC_PKG answers as {service.alias}"


def operating_unit(probe: Probe) -> str:
    """The operating-unit-striped reads (supplier sites) with the configured Org_Id: the package refuses a unit
    outside the responsibility's MO: Security Profile."""
    service: EbsService = probe.session
    service.call("GET_VENDOR_SITES", _empty_window())
    unit = probe.resource.org_id
    return (
        f"GET_VENDOR_SITES answers for operating unit {unit}"
        if unit
        else "GET_VENDOR_SITES answers for every operating unit the responsibility may see"
    )


def window_digest(probe: Probe) -> str:
    """The method a rerun asks before it reads a window (package version 120.5): without it every rerun reads its
    windows whole, as the first run did."""
    service: EbsService = probe.session
    window = _empty_window()
    service.call(
        "GET_WINDOW_DIGEST",
        {"P_METHOD": "GET_PARTIES", **{name: window[name] for name in ("P_LAST_UPDATE_FROM", "P_LAST_UPDATE_TO")}},
    )
    return "GET_WINDOW_DIGEST answers: a rerun of an unchanged window is a poll, not a read"


def general_ledger(probe: Probe) -> str:
    """For the Procore pair: the journal methods answer under the General Ledger responsibility (a reference no
    journal carries, so nothing is read)."""
    service: EbsService = probe.session
    service.read_journals(["MLC-PING"])
    return f"GET_JOURNALS answers under {probe.resource.journal_responsibility}"


CHECKS = (
    Check(
        "read service deployed",
        read_service,
        "deploy XXMLC_SYNC_PKG through the Integrated SOA Gateway under ORACLE_EBS_SERVICE_ALIAS and grant it to the "
        "user",
    ),
    Check(
        "answers for the operating unit",
        operating_unit,
        "set ORACLE_EBS_ORG_ID to a unit of the responsibility's MO: Security Profile (or ALL)",
    ),
    Check(
        "window digest deployed",
        window_digest,
        "deploy version 120.5 of XXMLC_SYNC_PKG with GET_WINDOW_DIGEST and grant it to the user (docs/operators/"
        "oracle_ebs.md); until then reruns read every window whole",
    ),
    Check(
        "journals under the General Ledger responsibility",
        general_ledger,
        "set ORACLE_EBS_JOURNAL_RESPONSIBILITY and ORACLE_EBS_JOURNAL_RESP_APPLICATION to a General Ledger "
        "responsibility of the user",
    ),
)
