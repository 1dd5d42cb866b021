"""EBS as a target: General Ledger journals through the package's POST_JOURNALS (the contract in
docs/contributors/oracle_ebs_service_contract.md), at most 100 a call, each journal refused or imported on its own.

A journal's reference is its idempotency key: the package imports nothing under a reference it already holds (answer
D, with the journal it has), so a call whose answer was lost is simply sent again, by the http layer's retry or by
the next run, and a journal is never posted twice. A record is one source document whose journals (the first, then
each adjustment) are posted under the references `<source key>.<n>`: its payload is the next of them, its target id
the JE_HEADER_ID of the latest, and `existing_keys` asks EBS for the references starting with `<source key>.`.

A payload (the mapping's) is one journal: `reference, source, category, accounting_date (YYYY-MM-DD), currency_code,
journal_name, description, batch_name, lines: [{segments: {"SEGMENT1": ...}, or code_combination_id, dr, cr,
description}]`, amounts as decimal strings ("123.45"), a missing or None value not sent.
"""

from collections.abc import Mapping, Sequence

from ml_connector_dagster.resources.oracle_ebs.service import MAX_JOURNALS, EbsService, refused

from ml_connector_dagster.http import ApiError, CallCounter
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord, WriteResult

GL_JOURNALS = "gl_journals"


class JournalWriter:
    """The EBS service as the load loop's TargetWriter (ml_connector_dagster/loading.py) for `gl_journals`."""

    def __init__(self, service: EbsService):
        self.service = service

    @property
    def counter(self) -> CallCounter:
        return self.service.counter

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        _only_journals(target_object)
        results = []
        for start in range(0, len(records), MAX_JOURNALS):
            batch = records[start : start + MAX_JOURNALS]
            answers = self.service.post_journals([_journal(record) for record in batch])
            if len(answers) != len(batch):  # the package answers every journal, in order
                raise ApiError("oracle_ebs", f"POST_JOURNALS answered {len(answers)} results for {len(batch)} journals")
            results += [_result(record, answer) for record, answer in zip(batch, answers, strict=True)]
        return results

    def existing_keys(self, target_object: str, known: Mapping[str, str | None]) -> set[str]:
        """Which of these journals EBS holds: imported, or waiting in GL_INTERFACE for Journal Import (a refused one
        is not held: posting it again is what replaces it)."""
        _only_journals(target_object)
        found = self.service.read_journals([series(key) for key in known], prefixes=True)
        held = [reference for reference, journal in found.items() if not refused(journal)]
        return {key for key in known if any(reference.startswith(series(key)) for reference in held)}


def series(source_key: str) -> str:
    """What the references of a record's journals start with."""
    return f"{source_key}."


def _only_journals(target_object: str) -> None:
    if target_object != GL_JOURNALS:
        raise ApiError("oracle_ebs", f"writing {target_object} is not part of any pair")


def _journal(record: TargetRecord) -> dict:
    """The P_JOURNALS item of one record; the package reads every field as text."""
    payload = record.payload
    reference = str(payload.get("reference") or "")
    if not reference.startswith(series(record.source_key)) or "," in reference:
        raise ValueError(
            f"journal {record.source_key}: its reference {reference!r} must be {series(record.source_key)}<n> "
            "(and hold no comma), which the ledger finds it again by"
        )
    return _set(
        {
            "REFERENCE": reference,
            "USER_JE_SOURCE_NAME": payload.get("source"),
            "USER_JE_CATEGORY_NAME": payload.get("category"),
            "ACCOUNTING_DATE": payload.get("accounting_date"),
            "CURRENCY_CODE": payload.get("currency_code"),
            "JOURNAL_NAME": payload.get("journal_name"),
            "JOURNAL_DESCRIPTION": payload.get("description"),
            "BATCH_NAME": payload.get("batch_name"),
            "LINES": {"LINES_ITEM": [_line(line) for line in payload.get("lines") or []]},
        }
    )


def _line(line: dict) -> dict:
    ccid = line.get("code_combination_id")
    return _set(
        {
            **(line.get("segments") or {}),
            "CODE_COMBINATION_ID": None if ccid is None else str(ccid),
            "ENTERED_DR": line.get("dr"),
            "ENTERED_CR": line.get("cr"),
            "DESCRIPTION": line.get("description"),
        }
    )


def _set(values: dict) -> dict:
    return {name: value for name, value in values.items() if value is not None}


def _result(record: TargetRecord, answer: dict) -> WriteResult:
    status = answer.get("STATUS")
    if status in ("S", "D"):
        # D: posted before, by this connector (an answer lost, a rerun): the journal exists, which is what was asked.
        return WriteResult(record.source_key, True, answer.get("JE_HEADER_ID"), created=True if status == "S" else None)
    return WriteResult(
        record.source_key,
        False,
        error_class=ErrorClass.VALIDATION,
        error_code=answer.get("ERROR_CODE") or f"STATUS={status}",
        error_message=answer.get("MESSAGE") or "POST_JOURNALS refused the journal",
    )
