"""Duplicate matches settled against a whole partition matched a page at a time: what one page found changes
another page's matches exactly as if both had been one page."""

from ml_connector_dagster.duplicate_matches import matched_pages
from ml_connector_dagster.mapping.two_way import Counterpart, Counterparts, Side, settled, unique_matches
from ml_connector_dagster.spool import SpoolWriter, spooled

ZOHO = [
    {"id": "z1", "Account_Email": "ap@acme.example", "Tax_ID": None, "JDE_Address_Number": None},
    {"id": "z2", "Account_Email": None, "Tax_ID": "DE123", "JDE_Address_Number": None},
]


def counterparts(wanted: dict, unreadable: dict | None = None) -> Counterparts:
    """As a payload asset's first pass answers for one page: its unlinked records matched among its candidates."""
    matches = unique_matches(wanted, ZOHO, key_field="JDE_Address_Number")
    found = {key: Counterpart(r["id"], Side("zoho_crm", {}, None), {}) for key, r in matches.unique.items()}
    return Counterparts(found, matches.ambiguous, matches.alone, tuple(wanted), unreadable or {})


def settled_pages(*pages: Counterparts, other: str = "record") -> list[Counterparts]:
    """The pages' counterparts noted in a first pass, then each settled against them all."""
    with matched_pages(spooled(pages), lambda page: (None, page)) as (spool, matches):
        return [matches.settled(found, other=other) for _, found in spool]


def test_a_record_two_pages_alone_match_is_ambiguous_for_both_as_on_one_page():
    first = {"1": {"Account_Email": "AP@acme.example", "Tax_ID": None}}
    last = {"9": {"Account_Email": None, "Tax_ID": "FR9"}, "5": {"Account_Email": "ap@acme.example", "Tax_ID": None}}
    on_their_own = [settled(counterparts(first)), settled(counterparts(last))]
    assert [set(c.found) for c in on_their_own] == [{"1"}, {"5"}], "each page alone links z1"

    pages = settled_pages(counterparts(first), counterparts(last))
    whole = settled(counterparts({**first, **last}))
    assert [dict(page.ambiguous) for page in pages] == [
        {"1": whole.ambiguous["1"]},
        {"5": whole.ambiguous["5"]},
    ]
    assert whole.ambiguous["1"] == "ambiguous duplicate match: z1 matches this record and 5 too"
    assert not any(page.found for page in pages) and not whole.found


def test_an_unreadable_record_a_page_found_refuses_every_unlinked_record_of_every_page():
    first = counterparts({"1": {"Account_Email": "ap@acme.example"}}, {"4242": "JDE 4242: ACL: not a number"})
    last = counterparts({"2": {"Tax_ID": "DE123"}}, {"77": "JDE 77: UPMJ: not a date"})
    pages = settled_pages(first, last, other="JDE entry")
    why = "a JDE entry it may match holds a value that cannot be read (JDE 77: UPMJ: not a date; JDE 4242: ACL: not a "
    why += "number)"  # address numbers in their order, whichever page found them
    assert [dict(page.ambiguous) for page in pages] == [{"1": why}, {"2": why}]
    assert not any(page.found for page in pages)


def test_the_pages_a_caller_holds_anyway_stay_in_memory_and_are_settled_as_those_on_disk(monkeypatch):
    first = {"1": {"Account_Email": "AP@acme.example", "Tax_ID": None}}
    middle = {"4": {"Account_Email": None, "Tax_ID": "FR9"}}
    last = {"5": {"Account_Email": "ap@acme.example", "Tax_ID": None}}
    pages = [counterparts(first), counterparts(middle), counterparts(last)]
    pickled: list[object] = []
    add = SpoolWriter.add
    monkeypatch.setattr(SpoolWriter, "add", lambda writer, page: (pickled.append(page), add(writer, page)))

    with matched_pages(iter(pages), lambda page: (None, page), held=2) as (second, matches):
        assert len(pickled) == 1, "only the page past the two held went to disk"
        held = [matches.settled(found) for _, found in second]
    assert held == settled_pages(*pages)
    assert set(held[0].ambiguous) == {"1"} and set(held[2].ambiguous) == {"5"}
