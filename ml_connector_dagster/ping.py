"""`ml-connector ping`: one cheap authenticated call per system, a line for each, ok or FAILED.

A ping is a check, not a run: each system gets one attempt with a short timeout (no retry, no backoff), so a system
that is down is reported in about the time a refused connection takes. A failed line names the settings to look at:
the URL setting whose host could not be reached, the credential settings of a refused sign-in, the variable of a
bad or missing value. Exit code: 0 all ok, 1 a system failed, 2 a system's configuration is bad or incomplete."""

import time
from collections.abc import Collection, Iterator
from urllib.parse import urlsplit

import httpx

from ml_connector_dagster.connections import SYSTEM_RESOURCES, production_resource, sandbox_resources
from ml_connector_dagster.http import ApiError, AuthError
from ml_connector_dagster.redaction import redact
from ml_connector_dagster.session_resource import SystemResource
from ml_connector_dagster.settings import Settings, SettingsError

OK, FAILED, MISCONFIGURED = 0, 1, 2


def ping(
    config: Settings,
    *,
    timeout_seconds: float,
    systems: Collection[str] | None = None,
    urls: dict[str, str] | None = None,
) -> int:
    """Checks every system (or those named) in turn, whatever the others gave; the worst outcome is the exit
    code. `urls`: where the sandbox profile's emulators are, if not on their fixed ports."""
    once = {"max_attempts": 1, "timeout_seconds": timeout_seconds}
    sandbox = (
        sandbox_resources(config, urls, **{kind.system: once for kind in SYSTEM_RESOURCES})
        if config.profile == "sandbox"
        else {}
    )
    worst = OK
    for kind in (kind for kind in SYSTEM_RESOURCES if not systems or kind.system in systems):
        started = time.monotonic()
        try:
            # Production values are read now: a dg.EnvVar left for Dagster to resolve is a name, not a URL.
            resource = sandbox[kind.system] if sandbox else production_resource(kind, config, resolve=True, **once)
            with resource.open() as session:
                checked = resource.check(session)
        except SettingsError as bad:
            worst = MISCONFIGURED
            print(f"{kind.system:15} FAILED  {'; '.join(bad.problems)}")
            continue
        except (ApiError, httpx.HTTPError, OSError, ValueError) as error:
            worst = max(worst, FAILED)
            reason = redact(str(error)).removeprefix(f"{kind.system}: ")
            print(f"{kind.system:15} FAILED  {reason}{_look_at(resource, error, config.profile)}")
            continue
        print(f"{kind.system:15} ok      {checked} ({(time.monotonic() - started) * 1000:.0f} ms)")
    return worst


def _look_at(resource: SystemResource, error: Exception, profile: str) -> str:
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
