"""Whether the connector fits a tenant: each system declares its checks (`resources/<system>/fit.py`, a tuple of
`Check` on the resource's `fit_checks`), and `run_checks` runs them on one open session, for `ml-connector ping` and
the `ping` job alike.

The first check of a system is its authenticated call: when it fails, the system's other checks are not run (they
would all fail the same way) and are reported as skipped. A check says what it found in a few words, or raises
`Unfit` with what it found instead; an API or connection error fails it the same way."""

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.redaction import redact
from ml_connector_dagster.settings import Settings

if TYPE_CHECKING:
    from ml_connector_dagster.session_resource import SystemResource


class Unfit(Exception):
    """The tenant lacks what the check looks for; the message says what was found."""


@dataclass(frozen=True)
class Probe:
    """What a check is given: the system's resource, its open session, and the deployment settings (the legal
    entities, say)."""

    resource: Any
    session: Any
    settings: Settings


@dataclass(frozen=True)
class Check:
    """`run` answers what it proved; `remedy` is what the operator does when it fails, in a few words: the heading
    named as the check, under "What `ml-connector ping` checks" in docs/operators/<system>.md, says how."""

    name: str
    run: Callable[[Probe], str]
    remedy: str

    @property
    def section(self) -> str:
        """The anchor of the check's heading (GitHub's: lower case, spaces as hyphens, punctuation dropped)."""
        return re.sub(r"[^\w\- ]", "", self.name.lower()).replace(" ", "-")


@dataclass(frozen=True)
class Outcome:
    """One line of a ping. `ok` is None for a check not run."""

    system: str
    check: str
    ok: bool | None
    ms: int
    detail: str
    remedy: str | None = None

    @property
    def verdict(self) -> str:
        return {True: "ok", False: "FAILED", None: "skipped"}[self.ok]

    def line(self) -> str:
        """`<system> ok|FAILED|skipped <check> <ms> ms <what it found>`, and on failure what to do."""
        took = f"{self.ms:>6} ms" if self.ok is not None else f"{'-':>9}"
        text = f"{self.system:15} {self.verdict:7} {self.check:36} {took}  {self.detail}"
        return text + (f"; to fix: {self.remedy}" if self.remedy else "")

    def as_dict(self) -> dict:
        return {
            "system": self.system,
            "check": self.check,
            "ok": self.ok,
            "ms": self.ms,
            "detail": self.detail,
            "remedy": self.remedy,
        }


def doc_link(system: str, section: str) -> str:
    return f"docs/operators/{system}.md#{section}"


# What a failed check is allowed to have raised: anything else is a bug of the check, not the tenant's answer.
CHECK_ERRORS = (Unfit, ApiError, httpx.HTTPError, OSError, ValueError, LookupError)


def run_checks(
    resource: "SystemResource",
    settings: Settings,
    explain: Callable[[Exception], str] = lambda error: "",
) -> Iterator[Outcome]:
    """The resource's `fit_checks` in order, timed, on one session (opening it counts in the first check);
    `explain` adds where to look to the first check's failure (the settings of a refused sign-in, an unreachable
    host)."""
    system = resource.system
    failed_first: str | None = None
    with ExitStack() as stack:
        session = None
        for index, check in enumerate(resource.fit_checks):
            if failed_first is not None:
                yield Outcome(system, check.name, None, 0, f"not run: {failed_first} failed")
                continue
            started = time.monotonic()
            try:
                if session is None:
                    session = stack.enter_context(resource.open())
                found = check.run(Probe(resource, session, settings))
            except CHECK_ERRORS as error:
                detail = redact(str(error)).removeprefix(f"{system}: ") + (explain(error) if index == 0 else "")
                remedy = f"{check.remedy} ({doc_link(system, check.section)})"
                yield Outcome(system, check.name, False, _ms(started), detail, remedy)
                if index == 0:
                    failed_first = check.name
                continue
            yield Outcome(system, check.name, True, _ms(started), found)


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def authenticated_call(remedy: str) -> Check:
    """The first check of most systems: the resource's own cheap authenticated call (`SystemResource.check`)."""
    return Check("authenticated call", lambda probe: probe.resource.check(probe.session), remedy)
