"""`ml-connector connect`: an operator stores the settings and secrets of one system (credentials.py), asked for on
the terminal (a secret without echo) or read from a file or stdin (JSON, or KEY=VALUE lines); rotates the key; makes
a new one. A value is checked the way the resource checks its variable before anything is stored, and nothing it
prints or raises holds a secret's value."""

import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from ml_connector_dagster.connections import SYSTEM_RESOURCES, deployment_fields
from ml_connector_dagster.credentials import CredentialStore
from ml_connector_dagster.credentials_key import DOC, KEY, NEW_KEY, CredentialsError, key_from, required_key
from ml_connector_dagster.session_resource import SystemResource
from ml_connector_dagster.settings import Settings, SettingsError

# What a stored secret stands for while the values are checked: it is not decrypted for that.
_KEPT_SECRET = "(stored)"


def kind_of(system: str) -> type[SystemResource]:
    kinds = {kind.system: kind for kind in SYSTEM_RESOURCES}
    if system not in kinds:
        raise SettingsError(f"no system {system!r}; systems: {', '.join(kinds)}")
    return kinds[system]


def parse(text: str, source: str) -> dict[str, str | None]:
    """A JSON object, or KEY=VALUE lines (blank lines and # comments skipped). A JSON value that is not text is
    written as its variable would hold it (4262, true); null (or an empty VALUE) forgets the stored value."""
    if text.lstrip().startswith("{"):
        try:
            given = json.loads(text)
        except ValueError as error:
            raise SettingsError(f"{source}: not JSON ({error.msg}, line {error.lineno})") from None
        if not isinstance(given, dict):
            raise SettingsError(f"{source}: a JSON object of settings is expected")
        return {
            str(name): None if value is None else value if isinstance(value, str) else json.dumps(value)
            for name, value in given.items()
        }
    values: dict[str, str | None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise SettingsError(f"{source} line {number}: not KEY=VALUE")
        values[name.strip()] = value.strip() or None
    return values


def by_field(kind: type[SystemResource], given: Mapping[str, str | None], settings: Settings) -> dict:
    """`given` by field name; a key may be the field's name (password) or its variable (ORACLE_EBS_PASSWORD)."""
    names = {kind.environment_variable(name): name for name in connectable(kind, settings)}
    fields = {name: name for name in names.values()} | names
    unknown = [key for key in given if key not in fields]
    if unknown:
        raise SettingsError(
            f"{kind.system}: {', '.join(unknown)}: no setting of {kind.system} that can be stored; accepted "
            f"(or their field names): {', '.join(names)}"
        )
    return {fields[key]: value for key, value in given.items()}


def connectable(kind: type[SystemResource], settings: Settings) -> list[str]:
    """The fields an operator may store: those a variable sets, less what the deployment sets itself."""
    return [name for name in kind.environment_fields() if name not in deployment_fields(kind, settings)]


def ask(
    kind: type[SystemResource],
    settings: Settings,
    store: CredentialStore,
    *,
    every: bool,
    prompt: Callable[[str], str] = input,
    secret_prompt: Callable[[str], str] = getpass.getpass,
) -> dict[str, str | None]:
    """Asks for the settings a sign-in needs (every one with `every`), each showing what it is now: a setting's value
    as the default (Enter keeps it), a secret only whether it is stored."""
    stored = store.values(kind.system, kind.environment_variable, os.environ)
    kept = {name for name in stored if name in kind.secrets}
    current = {name: stored[name] for name in stored if name not in kind.secrets}
    answers: dict[str, str | None] = {}
    for name in connectable(kind, settings):
        variable = kind.environment_variable(name)
        now = {**current, **{k: v for k, v in answers.items() if v is not None}}
        view = {kind.environment_variable(k): v for k, v in now.items()} | {k: v for k, v in os.environ.items() if v}
        if not (every or name in kind.required_fields(view) or name in kind.secrets or name in stored):
            continue
        about = (kind.model_fields[name].description or "").split(";")[0]
        overridden = " (set in this environment, which wins)" if os.environ.get(variable) else ""
        if name in kind.secrets:
            state = "stored; Enter keeps it" if name in kept else "not stored; Enter leaves it so"
            value = secret_prompt(f"{variable}: {about}{overridden} [{state}]: ")
        else:
            default = now.get(name) or _default(kind, name)
            value = prompt(f"{variable}: {about}{overridden} [{default or 'not set'}]: ").strip()
        if value:
            answers[name] = value
    return answers


def _default(kind: type[SystemResource], name: str) -> str | None:
    default = kind.model_fields[name].default
    return None if default is None or not isinstance(default, str | int | float) else str(default)


def store_values(
    kind: type[SystemResource], settings: Settings, given: Mapping[str, str | None], *, by: str, out: TextIO
) -> None:
    """`given` (by field; None forgets) checked together with what stays stored and the environment, then stored in
    one transaction. A required setting neither stored nor set is an error, as for a run."""
    store = CredentialStore(settings.ledger_url)
    stored = store.values(kind.system, kind.environment_variable, os.environ)
    values = {name: value for name, value in given.items() if value is not None}
    unset = frozenset(name for name, value in given.items() if value is None)
    kept = {
        name: _KEPT_SECRET if name in kind.secrets else stored[name]
        for name in stored
        if name not in values and name not in unset
    }
    kind.from_environment(os.environ, stored={**kept, **values}, resolve=True)
    secrets = [name for name in values if name in kind.secrets]
    key = (
        required_key(why=f"{kind.system}: {kind.environment_variable(secrets[0])} is a secret, stored encrypted")
        if secrets
        else None
    )
    store.put(kind.system, values, kind.secrets, key=key, by=by, unset=unset)
    for name in sorted(set(values) | unset, key=connectable(kind, settings).index):
        variable = kind.environment_variable(name)
        said = "forgotten" if name in unset else "stored encrypted" if name in kind.secrets else "stored"
        wins = f"; {variable} is set in this environment, and wins where it is set" if os.environ.get(variable) else ""
        print(f"{kind.system}: {variable} {said}{wins}", file=out)
    if settings.profile != "production":
        print(f"{kind.system}: stored, for the production profile (ML_CONNECTOR_PROFILE=production)", file=out)


def listing(settings: Settings, out: TextIO) -> None:
    """What is stored, by system: settings with their values, secrets only as stored."""
    store = CredentialStore(settings.ledger_url)
    listed = store.stored()
    for kind in SYSTEM_RESOURCES:
        rows = listed.get(kind.system, [])
        if not rows:
            print(f"{kind.system}: nothing stored", file=out)
            continue
        values = store.values(kind.system, kind.environment_variable, os.environ)
        for row in rows:
            shown = "(secret, encrypted)" if row.encrypted else f"= {values[row.field]}"
            when = f"{row.stored_at:%Y-%m-%d %H:%M}"
            print(
                f"{kind.system}: {kind.environment_variable(row.field)} {shown}   ({when}, {row.stored_by})", file=out
            )


def rotate(settings: Settings, out: TextIO) -> None:
    old = required_key(why="the stored secrets are encrypted with the current key")
    new = key_from(os.environ, NEW_KEY)
    if new is None:
        raise CredentialsError(
            f"set {NEW_KEY} or {NEW_KEY}_FILE to the new key (make one with `ml-connector connect --new-key FILE`)"
        )
    count = CredentialStore(settings.ledger_url).rotate(old, new)
    print(
        f"{count} stored secrets re-encrypted with the new key. The current key opens none of them now: give every "
        f"process (code server, daemon, run workers, webhooks, ping) the new key as {KEY} or {KEY}_FILE and "
        f"restart them ({DOC})",
        file=out,
    )


def is_terminal() -> bool:
    return sys.stdin.isatty()
