"""The webhook hook the connector registers for itself: created with its destination header and triggers when its
namespace has none, left alone when all is as it should be (Procore shows the header masked), put right when its URL
or key changed, and given back any trigger someone removed."""

from ml_connector_dagster.resources.procore.hooks import HookState
from ml_connector_dagster.sensors.procore import TRIGGERS

from tests.resources.procore_fake import COMPANY, FakeProcore, connected, sent

URL = "https://hooks.example.com/webhooks/procore"
KEY = "procore-webhook-key-for-tests"


def writes(fake: FakeProcore) -> list[tuple[str, str]]:
    return [(call.method, call.url.path) for call in fake.calls if call.method != "GET"]


def test_the_hook_and_its_triggers_are_created_once_and_a_second_run_changes_nothing():
    fake = FakeProcore()
    with connected(fake) as client:
        first = client.ensure_hook(URL, KEY, "ml-connector", TRIGGERS)
        second = client.ensure_hook(URL, KEY, "ml-connector", TRIGGERS)
    [hook] = fake.table("hooks")
    assert first == HookState(hook["id"], "created", TRIGGERS) and second == HookState(hook["id"], "current", ())
    create = next(call for call in fake.calls if call.method == "POST")
    assert sent(create) == {
        "company_id": COMPANY,
        "hook": {
            "api_version": "v2",
            "namespace": "ml-connector",
            "destination_url": URL,
            "destination_headers": {"Authorization": f"Bearer {KEY}"},
        },
    }
    trigger = [sent(call) for call in fake.calls if call.url.path.endswith("/triggers") and call.method == "POST"]
    assert trigger[0] == {
        "company_id": COMPANY,
        "api_version": "v2",
        "trigger": {"resource_name": "Requisitions", "event_type": "create"},
    }
    assert len(trigger) == 4 and len(writes(fake)) == 5, "the second run only read"
    assert fake.calls[0].url.params["namespace"] == "ml-connector"


def test_a_changed_url_or_key_is_put_right_and_a_removed_trigger_added_back():
    fake = FakeProcore()
    with connected(fake) as client:
        client.ensure_hook(URL, KEY, "ml-connector", TRIGGERS)
        hook = fake.table("hooks")[0]
        fake.rows[f"triggers@{hook['id']}", None].pop()  # someone removed Commitment Change Orders / update
        moved = client.ensure_hook("https://new.example.com/webhooks/procore", KEY, "ml-connector", TRIGGERS)
        rotated = client.ensure_hook("https://new.example.com/webhooks/procore", "a-new-key-0000", "ml-connector", [])
    assert moved == HookState(hook["id"], "updated", (("Commitment Change Orders", "update"),))
    assert rotated.action == "updated" and hook["destination_headers"] == {"Authorization": "Bearer a-new-key-0000"}
    assert hook["destination_url"] == "https://new.example.com/webhooks/procore" and len(fake.table("hooks")) == 1


def test_a_hook_of_another_namespace_is_not_ours():
    fake = FakeProcore()
    fake.seed("hooks", None, namespace="someone-else", destination_url=URL, destination_headers={})
    with connected(fake) as client:
        state = client.ensure_hook(URL, KEY, "ml-connector", TRIGGERS)
    assert state.action == "created" and len(fake.table("hooks")) == 2
