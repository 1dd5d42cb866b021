"""The paginators against scripted answers: over the wire (httpx.MockTransport) for the link-following ones, with
plain fakes where a vendor's "call" is not a GET (EBS posts its parameters) or does not exist yet (Zoho)."""

import httpx

from ml_connector_dagster.paging import (
    HeaderLinkPaginator,
    NextLinkPaginator,
    NextRecordsUrlPaginator,
    OffsetPaginator,
    PageRequest,
    PageTokenPaginator,
    paginate,
)


def wire(pages: dict[str, dict]):
    """A client whose server answers each path (query included) from `pages`; the requests it saw, in order."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=pages[request.url.raw_path.decode()])

    return httpx.Client(base_url="http://vendor", transport=httpx.MockTransport(handler)), seen


def fake(answers: list[dict]):
    """A fetch answering from a list, one answer a call; the requests it was given."""
    requests = []

    def fetch(request: PageRequest) -> dict:
        requests.append(request)
        return answers[len(requests) - 1]

    return fetch, requests


def test_an_odata_next_link_is_followed_verbatim_without_the_first_calls_parameters():
    client, seen = wire(
        {
            "/accounts?%24select=name": {
                "value": [{"name": "a"}, {"name": "b"}],
                "@odata.nextLink": "http://vendor/accounts?$skiptoken=2",
            },
            "/accounts?$skiptoken=2": {"value": [{"name": "c"}]},
        }
    )
    items = paginate(
        lambda page: client.get(page.url, params=page.params).json(),
        PageRequest("/accounts", {"$select": "name"}),
        NextLinkPaginator(),
        lambda body: body["value"],
    )
    assert [row["name"] for row in items] == ["a", "b", "c"]
    assert [str(url) for url in seen] == [
        "http://vendor/accounts?%24select=name",
        "http://vendor/accounts?$skiptoken=2",
    ]


def test_an_empty_first_page_without_a_next_link_is_one_call_and_no_items():
    client, seen = wire({"/accounts": {"value": []}})
    items = paginate(
        lambda page: client.get(page.url, params=page.params).json(),
        PageRequest("/accounts"),
        NextLinkPaginator(),
        lambda body: body["value"],
    )
    assert list(items) == [] and len(seen) == 1


def test_salesforce_batches_are_followed_until_done():
    client, seen = wire(
        {
            "/query?q=SELECT+Id+FROM+Account": {
                "done": False,
                "nextRecordsUrl": "/query/01g-2000",
                "records": [{"Id": "1"}],
            },
            "/query/01g-2000": {"done": True, "nextRecordsUrl": "/query/01g-4000", "records": [{"Id": "2"}]},
        }
    )
    items = paginate(
        lambda page: client.get(page.url, params=page.params).json(),
        PageRequest("/query", {"q": "SELECT Id FROM Account"}),
        NextRecordsUrlPaginator(),
        lambda body: body["records"],
    )
    assert [row["Id"] for row in items] == ["1", "2"]
    assert len(seen) == 2, "a done answer ends the query whatever nextRecordsUrl it still names"


def test_a_salesforce_answer_that_is_not_done_but_names_no_next_batch_ends_the_query():
    fetch, requests = fake([{"done": False, "records": [{"Id": "1"}]}])
    assert list(paginate(fetch, PageRequest("/query"), NextRecordsUrlPaginator(), lambda b: b["records"])) == [
        {"Id": "1"}
    ]
    assert len(requests) == 1


def test_an_offset_flagged_as_more_skips_what_was_read_and_the_flag_ends_it():
    fetch, requests = fake([{"rows": [1, 2], "more": "Y"}, {"rows": [3], "more": "Y"}, {"rows": [4], "more": "N"}])
    pages = OffsetPaginator(2, offset_param="P_OFFSET", limit_param="P_LIMIT", more=lambda body: body["more"] == "Y")
    items = paginate(fetch, PageRequest("GET_PARTIES", {"P_PARTY_IDS": "1001"}), pages, lambda body: body["rows"])
    assert list(items) == [1, 2, 3, 4]
    assert [request.params for request in requests] == [
        {"P_PARTY_IDS": "1001", "P_OFFSET": "0", "P_LIMIT": "2"},
        {"P_PARTY_IDS": "1001", "P_OFFSET": "2", "P_LIMIT": "2"},
        {"P_PARTY_IDS": "1001", "P_OFFSET": "3", "P_LIMIT": "2"},
    ]


def test_an_offset_without_a_flag_ends_at_the_first_short_page():
    client, seen = wire(
        {
            "/LFA1Set?%24top=2&%24skip=0": {"d": {"results": [{"LIFNR": "1"}, {"LIFNR": "2"}]}},
            "/LFA1Set?%24top=2&%24skip=2": {"d": {"results": [{"LIFNR": "3"}]}},
        }
    )
    pages = OffsetPaginator(2, offset_param="$skip", limit_param="$top")
    items = paginate(
        lambda page: client.get(page.url, params=page.params).json(),
        PageRequest("/LFA1Set", {"$top": "2"}),
        pages,
        lambda body: body["d"]["results"],
    )
    assert [row["LIFNR"] for row in items] == ["1", "2", "3"]
    assert len(seen) == 2, "a parameter the caller placed keeps its place in the query"


def test_a_full_last_page_costs_one_more_call_that_answers_nothing():
    fetch, requests = fake([{"results": [1, 2]}, {"results": []}])
    items = paginate(fetch, PageRequest("/LFA1Set"), OffsetPaginator(2), lambda body: body["results"])
    assert list(items) == [1, 2]
    assert [request.params for request in requests] == [{"offset": "0", "limit": "2"}, {"offset": "2", "limit": "2"}]


def test_an_empty_first_offset_page_is_one_call():
    fetch, requests = fake([{"rows": [], "more": "N"}])
    pages = OffsetPaginator(100, more=lambda body: body["more"] == "Y")
    assert list(paginate(fetch, PageRequest("GET_VENDORS"), pages, lambda body: body["rows"])) == []
    assert len(requests) == 1


def test_a_page_token_is_sent_back_as_a_parameter_of_the_same_call_until_none_comes():
    fetch, requests = fake(
        [
            {"data": [{"id": 1}], "info": {"more_records": True, "next_page_token": "t1"}},
            {"data": [{"id": 2}], "info": {"more_records": True, "next_page_token": "t2"}},
            {"data": [{"id": 3}], "info": {"more_records": False, "next_page_token": None}},
        ]
    )
    pages = PageTokenPaginator("info.next_page_token", "page_token")
    items = paginate(
        fetch, PageRequest("/crm/v8/Accounts", {"fields": "Account_Name"}), pages, lambda body: body["data"]
    )
    assert [row["id"] for row in items] == [1, 2, 3]
    assert requests == [
        PageRequest("/crm/v8/Accounts", {"fields": "Account_Name"}),
        PageRequest("/crm/v8/Accounts", {"fields": "Account_Name", "page_token": "t1"}),
        PageRequest("/crm/v8/Accounts", {"fields": "Account_Name", "page_token": "t2"}),
    ]


def test_an_empty_first_page_without_a_token_is_one_call():
    fetch, requests = fake([{"data": []}])
    pages = PageTokenPaginator("info.next_page_token", "page_token")
    assert list(paginate(fetch, PageRequest("/crm/v8/Accounts"), pages, lambda body: body["data"])) == []
    assert len(requests) == 1


def test_pages_are_fetched_only_as_items_are_consumed():
    fetch, requests = fake([{"value": [1], "@odata.nextLink": "http://vendor/next"}, {"value": [2]}])
    items = paginate(fetch, PageRequest("/accounts"), NextLinkPaginator(), lambda body: body["value"])
    assert requests == []
    assert next(items) == 1 and len(requests) == 1


def test_a_link_header_is_followed_verbatim_until_an_answer_has_no_next():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        page = int(request.url.params["page"])
        links = {1: '<http://vendor/vendors?page=2&per_page=2>; rel="next", <http://vendor/vendors?page=2>; rel="last"'}
        headers = {"Link": links[page]} if page in links else {"Link": '<http://vendor/vendors?page=1>; rel="first"'}
        return httpx.Response(200, json=[{"id": page * 10 + n} for n in range(2 if page == 1 else 1)], headers=headers)

    client = httpx.Client(base_url="http://vendor", transport=httpx.MockTransport(handler))
    items = paginate(
        lambda page: client.get(page.url, params=page.params),
        PageRequest("/vendors", {"page": "1", "per_page": "2"}),
        HeaderLinkPaginator(),
        lambda response: response.json(),
    )
    assert [row["id"] for row in items] == [10, 11, 20]
    assert seen == ["http://vendor/vendors?page=1&per_page=2", "http://vendor/vendors?page=2&per_page=2"]
