"""Base of the system resources: the live connection is opened on first use in a run and closed when Dagster tears
the resource down; with the default executor every step of a run runs in the run's one process (executor.py), so one
run logs in once and logs out once (with a process per step, once per step). A refused sign-in fails that step and
every later step of the run asking for the session with the same one-line message, without another attempt. A
system's resource also declares how it is configured for the sandbox and from the environment, and how
`ml-connector ping` checks it, so adding a system touches no core file beyond the list in connections.py."""

import os
import re
import types
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, Self, Union, get_args, get_origin, runtime_checkable

import dagster as dg
import httpx
from pydantic import Field, PrivateAttr, ValidationError

from ml_connector_dagster.fit import Check
from ml_connector_dagster.http import AuthError, Budget, RateBudget, RetryPolicy, build_client
from ml_connector_dagster.invalid_settings import problems
from ml_connector_dagster.rate_budget import SharedAllowance, SharedBudget, SharedSlots, budget_key, in_process
from ml_connector_dagster.redaction import register_secret
from ml_connector_dagster.secret_fields import SecretFields
from ml_connector_dagster.settings import SettingsError
from ml_connector_dagster.systems import System

_ENV_VAR_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def http_url(value: str | None, example: str) -> str | None:
    """A base URL setting: http(s), no trailing slash. For a `dg.EnvVar` Dagster hands validators the variable's
    *name* when the code location loads; the value is validated when Dagster resolves it at launch."""
    if value is None or _ENV_VAR_NAME.match(value):
        return value
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"must be an http(s) URL such as {example}")
    return value.rstrip("/")


@runtime_checkable
class SignsIn(Protocol):
    """An auth flow that can sign in before the first call (a session login, a token request). It remembers a
    refused sign-in and raises that AuthError again without another request."""

    def sign_in(self, client: httpx.Client) -> None: ...


class SessionResource(SecretFields):
    _stack: ExitStack | None = PrivateAttr(default=None)
    _session: Any = PrivateAttr(default=None)
    _refused: AuthError | None = PrivateAttr(default=None)

    def open(self) -> AbstractContextManager:
        raise NotImplementedError

    def sign_in(self) -> None:
        """Authenticates the session just opened; raises AuthError when the credentials are refused."""

    def session(self):
        """The run's session, signed in when first asked for, so refused credentials fail the first step that needs
        them before it calls anything. A refusal is a `dg.Failure` whose description is the AuthError's one line
        (not a stack of httpx frames to find it in) and that no retry policy repeats; every later step asking gets
        the same Failure without another attempt."""
        if self._refused is None and self._session is None:
            try:
                self._stack = ExitStack()
                self._session = self._stack.enter_context(self.open())
                self.sign_in()
            except AuthError as refused:
                self._refused = refused
        if self._refused is not None:
            raise dg.Failure(description=str(self._refused), allow_retries=False)
        return self._session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack, self._session, self._refused = None, None, None


@dataclass(frozen=True)
class ShownIds:
    """The ids a system's UI shows for its records, when they are not what the ledger holds: what they are called
    and what they look like."""

    name: str
    form: re.Pattern


class SystemResource(SessionResource):
    """One of the eight systems. Subclasses set `system` and `secrets` (the fields Dagster must never show:
    secret_fields.py) and implement `sandbox` and `connect`, and list in `fit_checks` what `ml-connector ping`
    checks of a tenant (`resources/<system>/fit.py`, whose first check is an authenticated call: `check`, or one of
    its own); the environment variables of a field are derived from the two names (`<SYSTEM>_<FIELD>`)."""

    system: ClassVar[System]
    fit_checks: ClassVar[tuple[Check, ...]]
    # Set where the ledger holds another id than the one the system's UI shows (Dataverse's GUIDs: the ledger holds
    # the alternate key): `ml-connector audit` asks the session, `source_key_of(target_object, id)`, for the source
    # key of such an id it did not find in the ledger.
    shown_ids: ClassVar["ShownIds | None"] = None

    timeout_seconds: float = Field(
        default=120,
        gt=0,
        description="seconds a request may wait for the network "
        "(connecting: at most 15) before it fails and is retried",
    )
    max_attempts: int = Field(default=6, ge=1, description="attempts per request on 429/5xx/connection errors")
    max_retry_wait_seconds: float = Field(
        default=300, gt=0, description="longest wait before a retry, even when the vendor's Retry-After asks for more"
    )

    _clients: list[httpx.Client] = PrivateAttr(default_factory=list)

    @classmethod
    def sandbox(cls, urls: dict[str, str], **overrides) -> Self:
        """The resource pointed at the sandbox's emulators (`urls` as connections.sandbox_urls gives them)."""
        raise NotImplementedError

    @classmethod
    def environment_variable(cls, field: str) -> str:
        return f"{cls.system}_{field}".upper()

    @classmethod
    def settings_to_check(cls, *fields: str) -> str:
        """What a refusal names for the operator to check: the fields' environment variables."""
        return " / ".join(cls.environment_variable(field) for field in fields)

    @classmethod
    def environment_fields(cls) -> list[str]:
        """The fields an environment variable can set: the scalar ones (others are run config only)."""
        return [name for name, field in cls.model_fields.items() if _is_scalar(field.annotation)]

    @classmethod
    def required_fields(cls, environ: Mapping[str, str]) -> set[str]:
        """Fields without which the resource cannot connect; a subclass adds those that depend on other settings."""
        return {name for name, field in cls.model_fields.items() if field.is_required()}

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] = os.environ,
        *,
        stored: Mapping[str, str] | None = None,
        resolve: bool = False,
        **overrides: Any,
    ) -> Self:
        """The production resource. Secrets, and required fields the environment lacks, are `dg.EnvVar`: Dagster
        resolves them at launch, so they are never stored in the definition and a missing one is named by the
        launch, not by the code location's load. With `resolve`, every value is read now (`ml-connector ping`)
        and a missing required one is an error naming its variable. An empty variable means the default, for an
        optional secret too (a secret only some deployments use, such as a webhook token). `overrides` replace
        what the environment says (a ping's single attempt).

        `stored`: the values `ml-connector connect` stored, by field (credentials.py), each taken where its
        variable is not set. A stored secret is a value here; the definitions put it into the process environment
        and name it by that variable (secret_fields.py), as they do the sandbox's.

        A bad value is a SettingsError with one line per bad variable (its name, what is wrong, what it accepts),
        every missing and bad one of this system at once."""
        stored = stored or {}
        given = _Given(cls, environ, stored)
        required = cls.required_fields(given)
        values: dict[str, Any] = {}
        missing: list[str] = []
        for name in cls.environment_fields():
            variable = cls.environment_variable(name)
            value = environ.get(variable)
            if not value and name in stored:
                values[name] = stored[name]
                continue
            if resolve and not value and name in required:
                missing.append(f"{variable} is not set")
            secret = name in cls.secrets and (value or name in required)
            if (not resolve or not value) and (secret or (not value and name in required)):
                values[name] = dg.EnvVar(variable)
            elif value:
                values[name] = value
        try:
            resource = cls(**{**values, **overrides})
        except ValidationError as exc:
            bad = problems(exc, cls, given.variable, cls.secrets, context=f"{cls.system}: ")
            raise SettingsError(*missing, *bad) from None
        if missing:
            raise SettingsError(*missing)
        return resource

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, max_retry_after=self.max_retry_wait_seconds)

    def http_client(self, base_url: str, **options) -> httpx.Client:
        """An http client with this resource's timeout and retry policy (options as for `http.build_client`); its
        failures to connect name this system."""
        client = build_client(
            base_url, system=self.system, timeout_seconds=self.timeout_seconds, retry=self.retry_policy(), **options
        )
        self._clients.append(client)
        return client

    @contextmanager
    def open(self) -> Iterator[Any]:
        self._clients = []
        with self.closing_stack() as stack:
            yield self.connect(stack)

    def sign_in(self) -> None:
        """Signs in the clients the last `open` made, where their auth can sign in ahead of a call."""
        clients, self._clients = self._clients, []
        for client in clients:
            if isinstance(client.auth, SignsIn):
                client.auth.sign_in(client)

    @contextmanager
    def closing_stack(self) -> Iterator[ExitStack]:
        """Where a session puts what it opens, closed last opened first even when the run fails. The secrets are
        registered before, so nothing logged while connecting shows them."""
        for name in self.secrets:
            register_secret(getattr(self, name))
        with ExitStack() as stack:
            yield stack

    def connect(self, stack: ExitStack) -> Any:
        """The live session (client, service or reader), with whatever must be closed after it on `stack`."""
        raise NotImplementedError

    def check(self, session: Any) -> str:
        """One cheap authenticated call on an open session, for the `authenticated call` check of `ml-connector
        ping` (fit.py), where a system's first check is that: what it proved, in a few words. Raises what the call
        raises."""
        raise NotImplementedError


class BudgetedResource(SystemResource):
    """A system whose request limit every run against it shares (rate_budget.py): the deployment profiles point
    `budget_url` at the ledger's database (connections.py), so concurrent runs, in any process, pace themselves
    together. A subclass lists `budget_url` in its `secrets` (the URL may hold the database's password)."""

    budget_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database holding the request budget that every run against this system "
        "shares; the deployment sets it to the ledger's. Unset: each run keeps its own budget",
        repr=False,
    )

    def request_budget(self, identity: str, max_requests: int, window_seconds: float, **options) -> Budget:
        """The budget of this system's API for `identity` (whom the vendor counts requests by)."""
        if self.budget_url is None:
            return RateBudget(max_requests, window_seconds, **options)
        return SharedBudget(self.budget_url, budget_key(self.system, identity), max_requests, window_seconds, **options)

    def allowance(self, identity: str, **options) -> SharedAllowance:
        """What the vendor says is left of its quota for `identity`, as every run against it sees it."""
        return SharedAllowance(*self._shared(identity), **options)

    def concurrency(self, identity: str, slots: int) -> SharedSlots:
        """The requests `identity` may have in flight at once, across every run; a slot is held per attempt, and its
        lease (twice the timeout) outlasts any attempt."""
        return SharedSlots(*self._shared(identity), slots, lease_seconds=2 * self.timeout_seconds)

    def _shared(self, identity: str) -> tuple[str, str]:
        """The database and key of a limit: without budget_url, a key of this session's own in this process."""
        if self.budget_url is None:
            return in_process(), budget_key(self.system, identity, uuid.uuid4().hex)
        return self.budget_url, budget_key(self.system, identity)


class _Given(Mapping[str, str]):
    """The values by variable as a resource takes them: the environment's, else the stored ones (for
    `required_fields`, which reads the settings others depend on). Names a stored value's variable as stored."""

    def __init__(self, kind: type[SystemResource], environ: Mapping[str, str], stored: Mapping[str, str]):
        self._kind, self._environ, self._stored = kind, environ, stored
        self._fields = {kind.environment_variable(name): name for name in kind.environment_fields()}

    def __getitem__(self, variable: str) -> str:
        value = self._environ.get(variable)
        if not value and self._fields.get(variable) in self._stored:
            return self._stored[self._fields[variable]]
        if value is None:
            raise KeyError(variable)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter({*self._environ, *(v for v, name in self._fields.items() if name in self._stored)})

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def variable(self, field: str) -> str:
        variable = self._kind.environment_variable(field)
        from_store = not self._environ.get(variable) and field in self._stored
        return f"{variable} (stored by ml-connector connect)" if from_store else variable


def _is_scalar(annotation: Any) -> bool:
    if get_origin(annotation) is Literal:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return all(_is_scalar(arg) for arg in get_args(annotation) if arg is not type(None))
    return annotation in (str, int, float, bool)
