"""The notification channel kept alive: enabled when Zoho has none, renewed (never past a week ahead) when it
expires within two days or points elsewhere, left alone otherwise, and disabled by id."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.resources.zoho_crm_fake import FakeZoho, answer, connected

NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
URL = "https://hooks.example.com/webhooks/zoho_crm"
CHANNEL = 1207000000000001


class Watch:
    """actions/watch as Zoho answers it: the channels it holds, per module; what is asked is granted."""

    def __init__(self, expiry: datetime | None, notify_url: str = URL):
        self.held = (
            []
            if expiry is None
            else [
                {
                    "channel_id": str(CHANNEL),
                    "resource_name": module,
                    "channel_expiry": expiry.isoformat(),
                    "notify_url": notify_url,
                    "events": [f"{module}.all"],
                }
                for module in ("Accounts", "Contacts")
            ]
        )

    def __call__(self, request):
        if request.method == "GET":
            return answer(200, {"watch": self.held}) if self.held else answer(204)
        if request.method == "DELETE":
            return answer(200, {"watch": [{"code": "SUCCESS", "status": "success", "details": {}}]})
        [asked] = json.loads(request.content)["watch"]
        granted = [
            {
                "channel_expiry": asked["channel_expiry"],
                "resource_name": e.split(".")[0],
                "channel_id": asked["channel_id"],
            }
            for e in asked["events"]
        ]
        return answer(
            200,
            {
                "watch": [
                    {
                        "code": "SUCCESS",
                        "details": {"events": granted},
                        "message": "Successfully subscribed",
                        "status": "success",
                    }
                ]
            },
        )


def written(fake: FakeZoho) -> list[tuple[str, dict]]:
    return [(call.method, json.loads(call.content)["watch"][0]) for call in fake.calls if call.method != "GET"]


def test_a_missing_channel_is_enabled_for_accounts_and_contacts_with_its_token_for_under_a_week():
    fake = FakeZoho(Watch(None))
    with connected(fake) as client:
        state = client.ensure_channel(URL, CHANNEL, "channel-token", now=NOW)
    [(method, asked)] = written(fake)
    assert method == "POST" and fake.calls[-1].url.path == "/crm/v8/actions/watch"
    assert asked["events"] == ["Accounts.all", "Contacts.all"] and asked["token"] == "channel-token"
    assert (asked["channel_id"], asked["notify_url"]) == (str(CHANNEL), URL)
    assert state.action == "enabled" and NOW + timedelta(days=6) < state.expiry <= NOW + timedelta(days=7)


@pytest.mark.parametrize(
    "expiry,notify_url,action",
    [
        (NOW + timedelta(days=1), URL, "renewed"),
        (NOW + timedelta(days=5), URL, "current"),
        (NOW + timedelta(days=5), "https://old.example.com/webhooks/zoho_crm", "renewed"),
    ],
)
def test_a_channel_is_renewed_when_it_expires_within_two_days_or_points_elsewhere(expiry, notify_url, action):
    fake = FakeZoho(Watch(expiry, notify_url))
    with connected(fake) as client:
        state = client.ensure_channel(URL, CHANNEL, "channel-token", now=NOW)
    assert state.action == action
    if action == "current":
        assert written(fake) == [] and state.expiry == expiry
    else:
        [(method, asked)] = written(fake)
        assert method == "PATCH" and asked["notify_url"] == URL
        assert datetime.fromisoformat(asked["channel_expiry"]) == state.expiry <= NOW + timedelta(days=7)


def test_a_channel_is_disabled_by_its_id():
    fake = FakeZoho(Watch(NOW + timedelta(days=3)))
    with connected(fake) as client:
        client.disable_channel(CHANNEL)
    assert fake.calls[0].method == "DELETE" and dict(fake.calls[0].url.params) == {"channel_ids": str(CHANNEL)}
