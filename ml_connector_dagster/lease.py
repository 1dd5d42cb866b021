"""One writer at a time per (pair, target object), however its run was launched.

Dagster's run queue keeps two runs of a job apart where it is configured, but nothing stops a launch that bypasses it
(a CLI run, `execute_in_process`, a second deployment on the same ledger), two overlapping partitions or a replay from
writing the same records at once; each sees them unsent, and a target without upserts (F&O) gets two of each. So
every load, replay and heal holds the lease of its (pair, target object), a row of the ledger's `leases` table, while
it diffs, writes and records: a second writer waits, and then finds the records unchanged.

- Taken in one statement (`Ledger.take_lease`): an insert, or the takeover of an expired lease.
- Renewed by a heartbeat thread every `heartbeat_seconds` while held, released at the end.
- A holder killed without releasing it (SIGKILL, a lost machine) stops renewing it: the lease expires `ttl_seconds`
  after the last heartbeat, and the next writer takes it over.
- A waiter polls, logs whom it waits for, and gives up after `wait_seconds` naming the holder (run, host, pid, since
  when).
- A holder that could not renew for most of a TTL (database unreachable, process stalled) may have lost the lease to
  a new holder: it starts no further write (`LeaseLost`) rather than race it.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from ml_connector_dagster.ledger import LeaseHolder, Ledger
from ml_connector_dagster.loading import TargetRecord, TargetWriter, WriteResult, deletes, parallelism

HOST = socket.gethostname()
_logger = logging.getLogger(__name__)


class LeaseUnavailable(RuntimeError):
    """Another writer kept the lease for longer than this one would wait."""


class LeaseLost(RuntimeError):
    """The lease could not be renewed in time: another writer may hold it now."""


class Lease:
    """`with Lease(ledger, pair, target_object, run_id=...) as lease:` holds the lease for the block, waiting for it
    first if another holds it; `lease.guard(writer)` is the writer to write through while it is held. `log` says
    whom it waits for and any trouble renewing (e.g. a Dagster context's `log.warning`; this module's logger)."""

    def __init__(
        self,
        ledger: Ledger,
        pair: str,
        target_object: str,
        *,
        run_id: str | None = None,
        log: Callable[[str], None] = _logger.warning,
    ):
        self.ledger, self.pair, self.target_object, self.run_id = ledger, pair, target_object, run_id
        self.settings = ledger.lease_settings
        self.token = str(uuid.uuid4())
        self.log = log
        self._stop = threading.Event()
        self._renewed = 0.0
        self._lost = False
        self._heartbeat_thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return f"{self.pair} {self.target_object}"

    def __enter__(self) -> "Lease":
        self._acquire()
        self._renewed = time.monotonic()
        self._heartbeat_thread = threading.Thread(target=self._heartbeat, name=f"lease {self.name}", daemon=True)
        self._heartbeat_thread.start()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._stop.set()
        self._heartbeat_thread.join()
        self.ledger.release_lease(self.pair, self.target_object, self.token)
        if self._lost and exc_type is None:
            raise LeaseLost(
                f"{self.name}: the lease expired while this run held it (renewals failed) and another writer took "
                "it over; rerun the partition: what was written is in the ledger"
            )

    def ensure_held(self) -> None:
        """Raises LeaseLost unless the lease is certainly still this holder's: it was renewed less than a TTL minus
        one heartbeat ago, and no renewal found it taken."""
        silent = time.monotonic() - self._renewed
        if self._lost or silent >= self.settings.ttl_seconds - self.settings.heartbeat_seconds:
            self._lost = True
            raise LeaseLost(
                f"{self.name}: the lease was not renewed for {silent:.0f} s (it expires after "
                f"{self.settings.ttl_seconds:.0f} s): another writer may hold it now, so nothing more is written"
            )

    def guard(self, writer: TargetWriter) -> TargetWriter:
        """`writer`, refusing to start a write once the lease may be lost."""
        return _GuardedDeleter(writer, self) if deletes(writer) else _Guarded(writer, self)

    def _acquire(self) -> None:
        settings = self.settings
        deadline = time.monotonic() + settings.wait_seconds
        poll = min(1.0, settings.heartbeat_seconds / 4)
        waited_for: LeaseHolder | None = None
        while not self.ledger.take_lease(
            self.pair,
            self.target_object,
            token=self.token,
            run_id=self.run_id,
            host=HOST,
            pid=os.getpid(),
            ttl_seconds=settings.ttl_seconds,
        ):
            holder = self.ledger.lease_holder(self.pair, self.target_object)
            if holder is not None and (waited_for is None or holder.token != waited_for.token):
                self.log(f"{self.name}: waiting for another writer to finish: {holder}")
                waited_for = holder
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LeaseUnavailable(
                    f"{self.name}: another writer holds the lease: {holder or waited_for}. Gave up after waiting "
                    f"{settings.wait_seconds:.0f} s (lease_wait_seconds). A holder that died loses its lease "
                    f"{settings.ttl_seconds:.0f} s after its last heartbeat; rerun this partition then"
                )
            time.sleep(min(poll, remaining))
        if waited_for is not None:
            self.log(f"{self.name}: lease taken over from run {waited_for.run_id} (finished or expired)")

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_seconds):
            try:
                held = self.ledger.renew_lease(self.pair, self.target_object, self.token, self.settings.ttl_seconds)
            except sa.exc.SQLAlchemyError as error:
                self.log(f"{self.name}: could not renew the lease, trying again: {error}")
                continue
            if not held:
                self._lost = True
                self.log(f"{self.name}: the lease expired and another writer took it: no further writes")
                return
            self._renewed = time.monotonic()


class _Guarded:
    """A target writer that checks its lease before each write."""

    def __init__(self, writer: TargetWriter, lease: Lease):
        self._writer, self._lease = writer, lease

    @property
    def counter(self):
        return self._writer.counter

    @property
    def parallelism(self) -> int:
        return parallelism(self._writer)

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        self._lease.ensure_held()
        return self._writer.upsert(target_object, records)

    def existing_keys(self, target_object: str, known) -> set[str]:
        return self._writer.existing_keys(target_object, known)


class _GuardedDeleter(_Guarded):
    def delete(self, target_object: str, source_keys: Sequence[str]) -> list[WriteResult]:
        self._lease.ensure_held()
        return self._writer.delete(target_object, source_keys)
