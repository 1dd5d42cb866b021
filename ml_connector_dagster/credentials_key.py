"""The key that opens the stored credentials (credentials.py): the operator's, never the connector's. It comes from
`ML_CONNECTOR_CREDENTIALS_KEY` or from the file `ML_CONNECTOR_CREDENTIALS_KEY_FILE` names, which only its owner may
read; during a rotation the new one comes the same way from `ML_CONNECTOR_NEW_CREDENTIALS_KEY(_FILE)`. A key is a
Fernet key (32 random bytes, url-safe base64), as `ml-connector connect --new-key` makes one.

Every problem is a CredentialsError (a SettingsError: the CLI says it on stderr and exits 2) naming the variable and
what to do; a key's value is never in it."""

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet

from ml_connector_dagster.redaction import register_secret
from ml_connector_dagster.settings import SettingsError

KEY = "ML_CONNECTOR_CREDENTIALS_KEY"
NEW_KEY = "ML_CONNECTOR_NEW_CREDENTIALS_KEY"
DOC = "docs/operators/credentials.md"


class CredentialsError(SettingsError):
    """The stored credentials cannot be read or written as asked: no key, a bad key, a key that does not open them."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def write_new_key(path: Path) -> None:
    """A new key in a new file only its owner can read (made so from the start, never readable by others)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CredentialsError(
            f"{path} exists: a key file is never overwritten (its key may still be in use)"
        ) from None
    with os.fdopen(descriptor, "w") as file:
        file.write(new_key() + "\n")


def key_from(environ: Mapping[str, str] = os.environ, variable: str = KEY) -> Fernet | None:
    """The key `variable` (or the file `variable`_FILE names) holds; None when neither is set."""
    value, path = environ.get(variable), environ.get(f"{variable}_FILE")
    if value and path:
        raise CredentialsError(f"both {variable} and {variable}_FILE are set: keep one")
    if path:
        value = _read_key_file(Path(path), f"{variable}_FILE")
        where = f"the key file {path} ({variable}_FILE)"
    else:
        where = variable
    if not value:
        return None
    register_secret(value.strip())
    try:
        return Fernet(value.strip().encode())
    except ValueError:
        raise CredentialsError(
            f"{where} holds no key: a key is 32 random bytes in url-safe base64 (44 characters), "
            "as `ml-connector connect --new-key` makes one"
        ) from None


def required_key(environ: Mapping[str, str] = os.environ, *, why: str) -> Fernet:
    key = key_from(environ)
    if key is None:
        raise CredentialsError(f"{why}, and neither {KEY} nor {KEY}_FILE is set: set one to your key ({DOC})")
    return key


def _read_key_file(path: Path, variable: str) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise CredentialsError(f"{variable}={path}: {error.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(
            f"{variable}={path} may be read by other users (mode {stat.S_IMODE(mode):04o}): "
            f"allow its owner only (chmod 600 {path}), and make a new key if others could have read it"
        )
    try:
        return path.read_text()
    except OSError as error:
        raise CredentialsError(f"{variable}={path}: {error.strerror}") from None
