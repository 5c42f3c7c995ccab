"""The notifications REST API: devices, the VAPID key, preferences and a conversation's settings."""

import pytest

from chats import actions as chat_actions
from chatsite.outbound import UnsafeURL, check_url
from notifications.models import PushDevice
from notifications.tests.servers import Subscription
from testkit.api import assert_error

pytestmark = pytest.mark.django_db

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc"


def push_url(url, **limits):
    """The push endpoints' use of the outbound rule: https only."""
    return check_url(url, schemes=("https",), **limits)


def webpush(endpoint=ENDPOINT):
    return {"kind": "webpush", "subscription": Subscription(endpoint=endpoint).as_json()}


def test_a_browser_registers_its_subscription_and_lists_and_removes_it(alice, client_for, settings):
    settings.NOTIFY_PUSH_ALLOW_LOOPBACK = False
    client = client_for(alice)
    created = client.post("/api/v1/devices", webpush(), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["kind"] == "webpush"
    again = client.post("/api/v1/devices", webpush(), format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    listed = client.get("/api/v1/devices").json()["results"]
    assert [d["id"] for d in listed] == [created.json()["id"]]
    assert "p256dh" not in listed[0] and "auth" not in listed[0]
    assert client.delete(f"/api/v1/devices/{created.json()['id']}").status_code == 204
    assert client.get("/api/v1/devices").json()["results"] == []


def test_phones_register_fcm_and_apns_tokens_with_app_and_locale(alice, client_for):
    client = client_for(alice)
    fcm = client.post(
        "/api/v1/devices", {"kind": "fcm", "token": "fcm-token:1", "app_id": "org.chat", "locale": "de"}, format="json"
    )
    apns = client.post("/api/v1/devices", {"kind": "apns", "token": "ab" * 32, "app_id": "org.chat"}, format="json")
    assert fcm.status_code == 201 and apns.status_code == 201
    assert fcm.json()["locale"] == "de"
    assert_error(client.post("/api/v1/devices", {"kind": "apns", "token": "not hex"}, format="json"), 400, "invalid")


def test_one_cannot_see_or_remove_someone_elses_device(alice, bob, client_for):
    device = client_for(alice).post("/api/v1/devices", webpush(), format="json").json()
    assert client_for(bob).get("/api/v1/devices").json()["results"] == []
    assert_error(client_for(bob).delete(f"/api/v1/devices/{device['id']}"), 404, "not_found")
    assert PushDevice.objects.filter(pk=device["id"]).exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "https://evil.example.com/push",  # not a known push service
        "https://user:pw@fcm.googleapis.com/x",  # credentials
        "https://127.0.0.1/push",  # loopback, not allowed here
        "https://10.0.0.5/push",  # private
        "https://[::1]/push",
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "javascript:alert(1)",
    ],
)
def test_push_endpoints_must_be_https_known_hosts_and_public_addresses(alice, client_for, settings, endpoint):
    settings.NOTIFY_PUSH_ALLOW_LOOPBACK = False
    settings.NOTIFY_PUSH_HOSTS = [*settings.NOTIFY_PUSH_HOSTS, "127.0.0.1", "10.0.0.5", "::1", "169.254.169.254"]
    response = client_for(alice).post("/api/v1/devices", webpush(endpoint), format="json")
    assert_error(response, 400, "invalid")
    assert not PushDevice.objects.exists()


def test_loopback_is_allowed_only_by_setting():
    allowed = ["127.0.0.1"]
    with pytest.raises(UnsafeURL):
        push_url("https://127.0.0.1:8443/push", allowed_hosts=allowed, allow_loopback=False)
    assert push_url("https://127.0.0.1:8443/push", allowed_hosts=allowed, allow_loopback=True)
    with pytest.raises(UnsafeURL):  # a loopback setting never opens the private ranges
        push_url("https://192.168.1.1/push", allowed_hosts=["*"], allow_loopback=True)


def test_bad_device_bodies_get_a_json_error_not_a_500(alice, client_for):
    client = client_for(alice)
    for body in (
        {"kind": "webpush"},
        {"kind": "webpush", "subscription": {"endpoint": ENDPOINT, "keys": {"p256dh": "!!", "auth": "x"}}},
        {"kind": "fax", "token": "x"},
        {"kind": "fcm", "token": 42},
        {"kind": "fcm", "token": "x", "extra": 1},
        [],
    ):
        assert_error(client.post("/api/v1/devices", body, format="json"), 400)
    assert_error(client_for(None).get("/api/v1/devices"), 401)


def test_the_webpush_key_is_the_servers_own_and_stays_the_same(alice, client_for, settings):
    first = client_for(alice).get("/api/v1/notifications/webpush-key").json()["public_key"]
    assert len(first) == 87  # 65 bytes, base64url without padding
    assert client_for(alice).get("/api/v1/notifications/webpush-key").json()["public_key"] == first
    assert settings.VAPID_KEY_FILE.exists()


def test_preferences_default_and_change(alice, client_for):
    client = client_for(alice)
    prefs = client.get("/api/v1/notifications/preferences").json()
    assert prefs["level"] == "all" and prefs["push_shows_text"] is True
    assert prefs["channels"] == {"direct": ["push", "email"], "mention": ["push", "email"]}
    changed = client.patch(
        "/api/v1/notifications/preferences",
        {
            "level": "mentions",
            "keywords": ["deploy", "Release"],
            "dnd_start": "22:00",
            "dnd_end": "07:30",
            "time_zone": "Europe/Berlin",
            "push_shows_text": False,
            "channels": {"direct": ["push"]},
        },
        format="json",
    ).json()
    assert changed["level"] == "mentions"
    assert changed["keywords"] == ["deploy", "Release"]
    assert (changed["dnd_start"], changed["dnd_end"], changed["time_zone"]) == ("22:00", "07:30", "Europe/Berlin")
    assert changed["channels"] == {"direct": ["push"], "mention": ["push", "email"]}
    assert client.get("/api/v1/notifications/preferences").json() == changed


@pytest.mark.parametrize(
    "body",
    [
        {"level": "loud"},
        {"time_zone": "Mars/Olympus"},
        {"channels": {"direct": ["pigeon"]}},
        {"channels": {"sms_only": ["push"]}},
        {"channels": {"mention": ["sms"]}},  # no verified phone
        {"dnd_start": "22:00"},
        {"keywords": ["x" * 51]},
        {"muted_until": "tomorrow"},
        {"unknown": 1},
    ],
)
def test_bad_preferences_are_refused(alice, client_for, body):
    assert_error(client_for(alice).patch("/api/v1/notifications/preferences", body, format="json"), 400)


def test_conversation_settings_follow_the_default_until_changed(alice, bob, group, client_for):
    url = f"/api/v1/conversations/{group.id}/notifications"
    assert client_for(bob).get(url).json() == {"level": "default", "muted_until": None, "mention_all_notifies": True}
    changed = client_for(bob).patch(url, {"level": "nothing", "muted_until": "2099-01-01T00:00:00Z"}, format="json")
    assert changed.json()["level"] == "nothing" and changed.json()["muted_until"].startswith("2099-01-01")
    assert client_for(alice).get(url).json()["level"] == "default"  # one person's choice only


def test_only_admins_decide_whether_at_all_notifies(alice, bob, group, client_for):
    url = f"/api/v1/conversations/{group.id}/notifications"
    assert_error(client_for(bob).patch(url, {"mention_all_notifies": False}, format="json"), 403, "forbidden")
    assert client_for(alice).patch(url, {"mention_all_notifies": False}, format="json").status_code == 200
    assert client_for(bob).get(url).json()["mention_all_notifies"] is False


def test_conversation_settings_of_a_conversation_one_is_not_in_are_not_found(carol, group, client_for):
    url = f"/api/v1/conversations/{group.id}/notifications"
    assert_error(client_for(carol).get(url), 404, "not_found")
    assert_error(client_for(carol).patch(url, {"level": "all"}, format="json"), 404, "not_found")


def test_a_public_channel_one_did_not_join_has_no_settings_to_change(alice, carol, client_for):
    channel = chat_actions.do_create_conversation(alice, kind="channel", title="News", is_public=True, member_ids=[])
    url = f"/api/v1/conversations/{channel.id}/notifications"
    assert_error(client_for(carol).patch(url, {"level": "all"}, format="json"), 404, "not_found")


def test_a_name_is_checked_by_the_addresses_it_resolves_to_before_a_push():
    # Registration checks the URL (resolve=False); each push resolves the name and checks again.
    assert push_url("https://localhost/push", allowed_hosts=["localhost"], resolve=False)
    with pytest.raises(UnsafeURL, match="private or local address"):
        push_url("https://localhost/push", allowed_hosts=["localhost"], allow_loopback=False)
