"""Base of the system resources: the live connection is opened on first use in a run (or step process) and closed
when Dagster tears the resource down, so one run logs in once and logs out once."""

import re
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import dagster as dg
from pydantic import PrivateAttr


_ENV_VAR_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def http_url(value: str | None, example: str) -> str | None:
    """A base URL setting: http(s), no trailing slash. For a `dg.EnvVar` Dagster hands validators the variable's
    *name* when the code location loads; the value is validated when Dagster resolves it at launch."""
    if value is None or _ENV_VAR_NAME.match(value):
        return value
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"must be an http(s) URL such as {example}")
    return value.rstrip("/")


class SessionResource(dg.ConfigurableResource):
    _stack: ExitStack | None = PrivateAttr(default=None)
    _session: Any = PrivateAttr(default=None)

    def open(self) -> AbstractContextManager:
        raise NotImplementedError

    def session(self):
        if self._session is None:
            self._stack = ExitStack()
            self._session = self._stack.enter_context(self.open())
        return self._session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack, self._session = None, None
