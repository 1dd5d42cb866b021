"""Reading Zoho CRM: a change window read with If-Modified-Since in Modified_Time order, page numbers and then page
tokens past the 2,000th record, 204/304 as no records, the window's end honoured, ids 100 a call, searches of at most
10 criteria with their values escaped, a module read whole instead of searched where that costs fewer calls, and a
429 waited out."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.resources.zoho_crm_fake import FakeZoho, answer, connected, query

START = datetime(2026, 12, 1, tzinfo=UTC)


def stamped(count: int) -> list[dict]:
    """`count` Accounts modified a minute apart from START, as Zoho writes times: with the user's offset."""
    return [
        {"id": str(5725767000000000000 + n), "Modified_Time": (START + timedelta(minutes=n)).astimezone().isoformat()}
        for n in range(count)
    ]


class Paged:
    """Zoho's paging: `page` works up to the 2,000th record; an answer gives a next_page_token only where page
    numbers stop working, which is the least the docs promise."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.tokens: dict[str, int] = {}

    def __call__(self, request):
        params = query(request)
        per_page = int(params["per_page"])
        if "page_token" in params:
            offset = self.tokens[params["page_token"]]
        else:
            page = int(params["page"])
            if page * per_page > 2000:
                return answer(
                    400, {"code": "DISCRETE_PAGINATION_LIMIT_EXCEEDED", "status": "error", "message": "use page_token"}
                )
            offset = (page - 1) * per_page
        rows = self.rows[offset : offset + per_page]
        more = offset + per_page < len(self.rows)
        token = None
        if more and offset + 2 * per_page > 2000:
            token = f"token-{offset + per_page}"
            self.tokens[token] = offset + per_page
        if not rows:
            return answer(204)
        return answer(
            200, {"data": rows, "info": {"per_page": per_page, "more_records": more, "next_page_token": token}}
        )


def test_a_window_past_2000_records_is_read_by_page_and_then_by_page_token_in_order():
    rows = stamped(2450)
    fake = FakeZoho(Paged(rows))
    with connected(fake) as client:
        read = list(client.modified_between("Accounts", ["Account_Name"], START, START + timedelta(days=2)))
    assert [r["id"] for r in read] == [r["id"] for r in rows]
    first, *_, last = fake.calls
    assert query(first)["fields"] == "id,Modified_Time,Account_Name"
    assert (query(first)["sort_by"], query(first)["sort_order"], query(first)["page"]) == ("Modified_Time", "asc", "1")
    assert datetime.fromisoformat(first.headers["if-modified-since"]) == START - timedelta(seconds=1)
    assert len(fake.calls) == 13 and "page_token" in query(last) and "page" not in query(last)


def test_a_window_keeps_what_changed_from_its_start_up_to_its_end_and_reads_no_page_past_the_end():
    rows = stamped(1000)
    earlier = {"id": "1", "Modified_Time": (START - timedelta(seconds=1)).isoformat()}
    fake = FakeZoho(Paged([earlier, *rows]))
    with connected(fake) as client:
        read = list(client.modified_between("Accounts", [], START, START + timedelta(minutes=300)))
    assert [r["id"] for r in read] == [r["id"] for r in rows[:300]]
    assert len(fake.calls) == 2, "the second page holds the end; the third is never asked for"


@pytest.mark.parametrize("status", [204, 304])
def test_nothing_modified_is_no_records(status):
    with connected(FakeZoho(lambda request: answer(status))) as client:
        assert list(client.modified_between("Contacts", ["Email"], START, START + timedelta(days=1))) == []


def test_records_by_id_are_read_100_ids_a_call():
    def by_ids(request):
        return answer(200, {"data": [{"id": i} for i in query(request)["ids"].split(",")], "info": {}})

    ids = [str(n) for n in range(250)]
    fake = FakeZoho(by_ids)
    with connected(fake) as client:
        assert [r["id"] for r in client.by_ids("Contacts", ["Email"], ids)] == ids
    assert [len(query(call)["ids"].split(",")) for call in fake.calls] == [100, 100, 50]


def test_a_search_escapes_its_values_and_asks_at_most_10_criteria_a_call():
    fake = FakeZoho(lambda request: answer(204))
    values = ["Acme (US), Inc.", "C:\\temp", *(f"N{n}" for n in range(10)), "Acme (US), Inc."]
    with connected(fake) as client:
        assert client.find("Accounts", ["Account_Name"], "Account_Name", values) == []
    # The searches go side by side: in whichever order they arrive, the fuller one first.
    first, second = sorted((query(call) for call in fake.calls), key=lambda q: -q["criteria"].count(":equals:"))
    assert {call.url.path for call in fake.calls} == {"/crm/v8/Accounts/search"}
    assert first["criteria"].startswith(
        r"((Account_Name:equals:Acme \(US\)\, Inc.)or(Account_Name:equals:C:\\temp)or(Account_Name:equals:N0)"
    )
    assert first["criteria"].count(":equals:") == 10
    assert second["criteria"] == "((Account_Name:equals:N8)or(Account_Name:equals:N9))"


def module_and_searches(rows: list[dict]):
    """A module of `rows` read page by page; every search answers no records."""
    paged = Paged(rows)
    return lambda request: answer(204) if request.url.path.endswith("/search") else paged(request)


def accounts(count: int) -> list[dict]:
    return [{"id": str(5725767000000000000 + n), "Account_Email": f"a{n}@example.com"} for n in range(count)]


def test_matches_in_a_module_smaller_than_its_searches_are_read_whole_and_nothing_is_searched():
    # 25 JDE keys and 25 e-mails cost 6 searches; the 450 accounts Zoho holds, 3 reads of 200.
    rows = [*accounts(450), {"id": "9", "Account_Email": " A7@Example.com ", "JDE_Address_Number": "1007"}]
    fake = FakeZoho(module_and_searches(rows))
    wanted = {"JDE_Address_Number": [str(1000 + n) for n in range(25)], "Account_Email": ["a7@example.com"] * 25}
    with connected(fake) as client:
        found = client.matching("Accounts", ["Account_Name"], wanted)
    assert sorted(r["id"] for r in found) == ["5725767000000000007", "9"]  # compared trimmed and case-blind
    assert [call.url.path for call in fake.calls] == ["/crm/v8/Accounts"] * 3
    assert query(fake.calls[0])["sort_by"] == "id" and "Account_Email" in query(fake.calls[0])["fields"]


def test_a_module_too_large_to_read_for_fewer_calls_is_searched_and_not_read_again():
    fake = FakeZoho(module_and_searches(accounts(1000)))
    wanted = {"Account_Email": [f"b{n}@example.com" for n in range(40)]}  # 4 searches, 5 reads
    with connected(fake) as client:
        assert client.matching("Accounts", [], wanted) == []
        paths = [call.url.path for call in fake.calls]
        assert paths == ["/crm/v8/Accounts"] * 3 + ["/crm/v8/Accounts/search"] * 4
        fake.calls.clear()
        assert client.matching("Accounts", [], wanted) == []
        assert [call.url.path for call in fake.calls] == ["/crm/v8/Accounts/search"] * 4


def test_too_many_requests_is_waited_out_and_asked_again():
    answers = iter(
        [
            answer(
                429, {"code": "TOO_MANY_REQUESTS", "status": "error", "message": "concurrency limit", "details": {}}
            ),
            answer(200, {"data": [{"id": "7"}], "info": {"more_records": False}}),
        ]
    )
    fake = FakeZoho(lambda request: next(answers))
    with connected(fake) as client:
        assert client.by_ids("Accounts", [], ["7"]) == [{"id": "7"}]
        assert client.counter.calls == {"GET": 2}
