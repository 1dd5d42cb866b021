"""Credentials an operator stores with `ml-connector connect`: the settings of a system as text, its secrets encrypted,
in the `credentials` table of the ledger's database. A resource of the production profile takes each value from its
environment variable when that is set, else from here (SystemResource.from_environment's `stored`).

A secret is a Fernet token (AES-128-CBC with HMAC-SHA256: authenticated, so a wrong key or an altered token is an
error, never a garbled secret) of the value together with the system and field it belongs to, so a token copied onto
another row is refused too. Only the secrets a resource actually takes from the store are decrypted, when it is built.
The key is the operator's (credentials_key.py); the database never holds it, or a secret in plain text."""

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ml_connector_dagster.credentials_key import DOC, KEY, CredentialsError, key_from
from ml_connector_dagster.ledger import engine_url
from ml_connector_dagster.redaction import register_secret

metadata = sa.MetaData()

credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("system", sa.String(64), primary_key=True),
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # a setting as its variable would hold it; a secret's Fernet token
    sa.Column("encrypted", sa.Boolean, nullable=False),
    sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("stored_by", sa.String(200)),
)

_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def _engine(url: str) -> sa.Engine:
    """One engine per database per process, the table made on first use (two processes making it at once: the
    second CREATE fails because the first made it, as in ledger._create_tables)."""
    url = engine_url(url)
    with _engines_lock:
        if url not in _engines:
            engine = sa.create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
            try:
                metadata.create_all(engine)
            except sa.exc.DBAPIError:
                metadata.create_all(engine)
            _engines[url] = engine
        return _engines[url]


@dataclass(frozen=True)
class Stored:
    field: str
    encrypted: bool
    stored_at: datetime
    stored_by: str | None


def _plaintext(system: str, field: str, value: str) -> bytes:
    return json.dumps({"system": system, "field": field, "value": value}).encode()


class StoredValues(Mapping[str, str]):
    """One system's stored values by field; a secret is decrypted when it is read, with the key of the environment
    at that moment. A key that is missing, or does not open it, is a CredentialsError naming the system, the
    variable the value stands for and what to do."""

    def __init__(self, system: str, rows: dict[str, tuple[str, bool]], variable, environ: Mapping[str, str]):
        self._system, self._rows, self._variable, self._environ = system, rows, variable, environ

    def __getitem__(self, field: str) -> str:
        value, encrypted = self._rows[field]
        if not encrypted:
            return value
        stands_for = f"{self._variable(field)}, stored for {self._system},"
        key = key_from(self._environ)
        if key is None:
            raise CredentialsError(
                f"{stands_for} is encrypted, and neither {KEY} nor {KEY}_FILE is set: set one to the key it was "
                f"stored with, or set {self._variable(field)} in the environment ({DOC})"
            )
        try:
            opened = json.loads(key.decrypt(value.encode()))
        except InvalidToken:
            raise CredentialsError(
                f"{stands_for} does not open with the key in {_where_key(self._environ)}: set it to the key the "
                f"value was stored with (after `ml-connector connect --rotate-key`, the new one), or store the value "
                f"again with `ml-connector connect {self._system}` ({DOC})"
            ) from None
        if (opened.get("system"), opened.get("field")) != (self._system, field):
            raise CredentialsError(
                f"{stands_for} was encrypted for another setting (its row was copied or altered): store it again "
                f"with `ml-connector connect {self._system}`"
            )
        register_secret(opened["value"])
        return opened["value"]

    def __contains__(self, field: object) -> bool:
        return field in self._rows  # Mapping's own would read the value: decrypt a secret only to say it is there

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _where_key(environ: Mapping[str, str]) -> str:
    return f"{KEY}_FILE" if environ.get(f"{KEY}_FILE") else KEY


def _no_database_yet(url: str) -> bool:
    """A SQLite ledger not made yet (its folder may not exist either): nothing is stored, and a read makes nothing."""
    parsed = sa.engine.make_url(engine_url(url))
    database = parsed.database or ""
    in_a_file = parsed.get_backend_name() == "sqlite" and database and not database.startswith((":memory:", "file:"))
    return bool(in_a_file) and not Path(database).exists()


class CredentialStore:
    def __init__(self, url: str):
        self.url = url

    @property
    def engine(self) -> sa.Engine:
        return _engine(self.url)

    def values(self, system: str, variable, environ: Mapping[str, str]) -> StoredValues:
        """What `system` has stored; `variable(field)` names the variable a value stands for, in errors."""
        if _no_database_yet(self.url):
            return StoredValues(system, {}, variable, environ)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(credentials.c.field, credentials.c.value, credentials.c.encrypted).where(
                    credentials.c.system == system
                )
            ).all()
        return StoredValues(system, {row.field: (row.value, row.encrypted) for row in rows}, variable, environ)

    def stored(self, system: str | None = None) -> dict[str, list[Stored]]:
        """What is stored, by system, without any value: for the operator's list."""
        query = sa.select(
            credentials.c.system,
            credentials.c.field,
            credentials.c.encrypted,
            credentials.c.stored_at,
            credentials.c.stored_by,
        ).order_by(credentials.c.system, credentials.c.field)
        if system:
            query = query.where(credentials.c.system == system)
        if _no_database_yet(self.url):
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        listed: dict[str, list[Stored]] = {}
        for row in rows:
            listed.setdefault(row.system, []).append(Stored(row.field, row.encrypted, row.stored_at, row.stored_by))
        return listed

    def put(
        self,
        system: str,
        values: Mapping[str, str],
        secrets: frozenset[str],
        *,
        key: Fernet | None,
        by: str,
        unset: frozenset[str] = frozenset(),
    ) -> None:
        """`values` stored (a secret encrypted with `key`) and `unset` forgotten, in one transaction."""
        now = datetime.now(UTC)
        rows = []
        for field, value in values.items():
            if field in secrets:
                if key is None:
                    raise CredentialsError(f"{system}: a secret is stored encrypted, and {KEY} is not set")
                value = key.encrypt(_plaintext(system, field, value)).decode()
            rows.append(
                {
                    "system": system,
                    "field": field,
                    "value": value,
                    "encrypted": field in secrets,
                    "stored_at": now,
                    "stored_by": by,
                }
            )
        with self.engine.begin() as conn:
            conn.execute(
                credentials.delete().where(credentials.c.system == system, credentials.c.field.in_([*values, *unset]))
            )
            if rows:
                conn.execute(credentials.insert(), rows)

    def rotate(self, old: Fernet, new: Fernet) -> int:
        """Every secret re-encrypted with `new`, in one transaction: a secret `old` does not open stops it with
        nothing changed. A secret already under `new` (a rotation run twice) is re-encrypted as it is."""
        both = MultiFernet([new, old])
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(credentials.c.system, credentials.c.field, credentials.c.value).where(credentials.c.encrypted)
            ).all()
            for row in rows:
                try:
                    rotated = both.rotate(row.value.encode()).decode()
                except InvalidToken:
                    raise CredentialsError(
                        f"{row.system}: the stored {row.field} does not open with the key in {KEY}(_FILE): nothing "
                        f"was rotated; set {KEY} to the key the credentials were stored with ({DOC})"
                    ) from None
                conn.execute(
                    credentials.update()
                    .where(credentials.c.system == row.system, credentials.c.field == row.field)
                    .values(value=rotated)
                )
        return len(rows)
