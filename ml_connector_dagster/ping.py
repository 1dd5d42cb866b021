"""`ml-connector ping`: for each system one cheap authenticated call, then the checks that tell whether the
connector fits that tenant (`fit.py`, declared by each system in `resources/<system>/fit.py`); a line per check, ok
or FAILED with what to do, or one JSON list.

A ping is a check, not a run: each call gets one attempt with a short timeout (no retry, no backoff), so a system
that is down is reported in about the time a refused connection takes. A failed line names the settings to look at:
the URL setting whose host could not be reached, the credential settings of a refused sign-in, the variable of a
bad or missing value. Exit code: 0 all ok, 1 a check failed, 2 a system's configuration is bad or incomplete."""

import json
from collections.abc import Collection, Iterator
from functools import partial
from urllib.parse import urlsplit

import httpx

from ml_connector_dagster.connections import SYSTEM_RESOURCES, production_resource, sandbox_resources
from ml_connector_dagster.fit import Outcome, run_checks
from ml_connector_dagster.http import AuthError
from ml_connector_dagster.session_resource import SystemResource
from ml_connector_dagster.settings import Settings, SettingsError

OK, FAILED, MISCONFIGURED = 0, 1, 2


def ping(
    config: Settings,
    *,
    timeout_seconds: float,
    systems: Collection[str] | None = None,
    urls: dict[str, str] | None = None,
    as_json: bool = False,
) -> int:
    """Checks every system (or those named) in turn, whatever the others gave; the worst outcome is the exit
    code. `urls`: where the sandbox profile's emulators are, if not on their fixed ports. `as_json`: one JSON list
    of every check on stdout (`Outcome.as_dict`) instead of a line each."""
    once = {"max_attempts": 1, "timeout_seconds": timeout_seconds}
    sandbox = (
        sandbox_resources(config, urls, **{kind.system: once for kind in SYSTEM_RESOURCES})
        if config.profile == "sandbox"
        else {}
    )
    worst = OK
    outcomes: list[Outcome] = []
    for kind in (kind for kind in SYSTEM_RESOURCES if not systems or kind.system in systems):
        try:
            # Production values are read now: a dg.EnvVar left for Dagster to resolve is a name, not a URL.
            resource = sandbox[kind.system] if sandbox else production_resource(kind, config, resolve=True, **once)
        except SettingsError as bad:
            worst = MISCONFIGURED
            checked = [
                Outcome(
                    kind.system,
                    "configuration",
                    False,
                    0,
                    "; ".join(bad.problems),
                    f"set the {kind.system.upper()}_* variables (docs/operators/configuration.md#{kind.system})",
                )
            ]
        else:
            checked = list(run_checks(resource, config, partial(_look_at, resource, profile=config.profile)))
            if any(outcome.ok is False for outcome in checked):
                worst = max(worst, FAILED)
        outcomes += checked
        if not as_json:
            for outcome in checked:
                print(outcome.line(), flush=True)
    if as_json:
        print(json.dumps([outcome.as_dict() for outcome in outcomes], indent=2))
    return worst


def _look_at(resource: SystemResource, error: Exception, *, profile: str) -> str:
    """Where the operator looks next, unless the message already names it."""
    host = _failed_host(error)
    if host is not None:
        if profile == "sandbox":
            return "; is the sandbox running? (ml-connector sandbox)"
        named = [name for name, value in _addresses(resource) if value == host] or [n for n, _ in _addresses(resource)]
        return f"; check {_variables(resource, named)}"
    if isinstance(error, AuthError):
        credentials = _credentials(resource)
        variables = [resource.environment_variable(name) for name in credentials]
        if credentials and not any(variable in str(error) for variable in variables):
            return f"; check {_variables(resource, credentials)}"
    return ""


def _failed_host(error: BaseException) -> str | None:
    """host:port of the request that never got an answer (a connection refused, a timeout), wherever in the chain
    of causes the http error is (a client may wrap it in its own)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, httpx.TransportError):
            try:
                return cause.request.url.netloc.decode()
            except RuntimeError:  # raised before a request was made
                return None
        cause = cause.__cause__ or cause.__context__
    return None


def _addresses(resource: SystemResource) -> Iterator[tuple[str, str]]:
    """(field, host:port) of the resource's URL settings that are set."""
    for name in type(resource).environment_fields():
        value = getattr(resource, name)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            yield name, urlsplit(value).netloc


def _credentials(resource: SystemResource) -> list[str]:
    """The settings a sign-in presents: the required ones that are not addresses (user, password, client id and
    secret, tenant)."""
    kind = type(resource)
    addresses = {name for name, _ in _addresses(resource)}
    return [name for name in kind.environment_fields() if name in kind.required_fields({}) - addresses]


def _variables(resource: SystemResource, fields: list[str]) -> str:
    return " / ".join(type(resource).environment_variable(name) for name in fields)
