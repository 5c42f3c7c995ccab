"""The analytics API over the known week: staff see the site, each user sees their own activity."""

import pytest

from analytics import etl, raw
from analytics.tests import known_world as w

SPAN = {"from": w.D0.isoformat(), "to": w.D1.isoformat()}


@pytest.fixture
def loaded(data_dir, db):
    first, replay = w.events()
    raw.write_rows(first)
    raw.write_rows(replay)
    etl.run(w.D0, w.D1)


@pytest.fixture
def staff(make_user, client_for):
    return client_for(make_user("staffer", is_staff=True))


def test_site_metrics_are_for_staff_only(loaded, alice, client_for):
    for path in ("summary", "series/messages", "heatmap", "top-channels", "retention", "live", "export/messages.csv"):
        response = client_for(alice).get(f"/api/v1/analytics/site/{path}", SPAN)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
        assert client_for(None).get(f"/api/v1/analytics/site/{path}", SPAN).status_code == 401


def test_series_by_day_week_and_cumulative(loaded, staff):
    daily = staff.get("/api/v1/analytics/site/series/messages", SPAN).json()
    assert daily == {"labels": ["2026-03-02", "2026-03-03"], "series": {"total": [9.0, 1.0]}}
    weekly = staff.get("/api/v1/analytics/site/series/messages", {**SPAN, "grain": "week"}).json()
    assert weekly == {"labels": ["2026-03-02"], "series": {"total": [10.0]}}
    running = staff.get("/api/v1/analytics/site/series/messages", {**SPAN, "cumulative": "true"}).json()
    assert running["series"]["total"] == [9.0, 10.0]
    kinds = staff.get("/api/v1/analytics/site/series/messages_by_kind", SPAN).json()["series"]
    assert kinds == {"direct": [5.0, 0.0], "channel": [3.0, 1.0], "group": [1.0, 0.0]}
    mau = staff.get("/api/v1/analytics/site/series/mau", {**SPAN, "grain": "week"}).json()
    assert mau["series"]["total"] == [6.0]  # a level: the week shows its last day


def test_moderation_and_notification_series(loaded, staff):
    held = staff.get("/api/v1/analytics/site/series/held_messages", SPAN).json()["series"]
    assert held == {"spam": [1.0, 1.0], "abuse": [1.0, 0.0]}
    spam = staff.get("/api/v1/analytics/site/series/spam_rate", SPAN).json()["series"]
    assert spam == {"total": [round(1 / 11, 6), 0.5]}
    failed = staff.get("/api/v1/analytics/site/series/notifications_failed", SPAN).json()["series"]
    assert failed == {"total": [1.0, 0.0]}
    reads = staff.get("/api/v1/analytics/site/series/reads", {**SPAN, "cumulative": "true"}).json()["series"]
    assert reads == {"total": [2.0, 3.0]}


def test_live_minutes_from_the_streaming_job(db, staff, monkeypatch):
    from datetime import UTC, datetime

    from analytics.api import views
    from analytics.models import MinuteCount

    monkeypatch.setattr(views.timezone, "now", lambda: datetime(2026, 3, 2, 9, 2, 30, tzinfo=UTC))
    nine = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    MinuteCount.objects.create(minute=nine, metric="messages", value=3)
    MinuteCount.objects.create(minute=nine, metric="sockets", value=7)
    MinuteCount.objects.create(minute=nine.replace(minute=2), metric="sockets", value=5)
    MinuteCount.objects.create(minute=nine.replace(hour=8), metric="sockets", value=99)  # before the span
    body = staff.get("/api/v1/analytics/site/live", {"minutes": 3}).json()
    assert body["labels"] == ["2026-03-02T09:00:00+00:00", "2026-03-02T09:01:00+00:00", "2026-03-02T09:02:00+00:00"]
    assert body["series"]["messages"] == [3, None, None]
    assert body["series"]["sockets"] == [7, None, 5]
    assert body["series"]["socket_users"] == [None, None, None]
    csv = staff.get("/api/v1/analytics/site/export/live.csv").content.decode().splitlines()
    assert csv[0] == "minute,messages,senders,sockets,socket_users" and len(csv) == 121
    for bad in ({"minutes": 0}, {"minutes": 100000}, {"minutes": "many"}, {"hours": 2}):
        response = staff.get("/api/v1/analytics/site/live", bad)
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid", bad


def test_heatmap_top_channels_retention_and_summary(loaded, staff):
    grid = staff.get("/api/v1/analytics/site/heatmap", SPAN).json()["grid"]
    assert grid[0][9] == 3 and grid[1][8] == 1 and sum(map(sum, grid)) == 10  # Monday 09h, Tuesday 08h
    channels = staff.get("/api/v1/analytics/site/top-channels", SPAN).json()["channels"]
    assert channels == [{"conversation_id": w.CH1, "title": "", "messages": 4}]
    cohorts = staff.get("/api/v1/analytics/site/retention", SPAN).json()["cohorts"]
    assert cohorts[0]["cohort"] == "2026-03-02" and cohorts[0]["users"] == 2
    assert cohorts[0]["retained"][:2] == [1.0, 0.0]
    summary = staff.get("/api/v1/analytics/site/summary", SPAN).json()
    assert summary["messages"] == 10 and summary["new_users"] == 2
    assert summary["dau"] == 1 and summary["mau"] == 6 and summary["as_of"] == "2026-03-03"
    assert summary["storage_bytes"] > 0


def test_csv_export_of_a_chart(loaded, staff):
    response = staff.get("/api/v1/analytics/site/export/messages_by_client.csv", SPAN)
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == [
        "day,api,unknown,web",
        "2026-03-02,2.0,3.0,4.0",
        "2026-03-03,0.0,0.0,1.0",
    ]
    heat = staff.get("/api/v1/analytics/site/export/heatmap.csv", SPAN).content.decode().splitlines()
    assert heat[0].startswith("weekday,0,1,2") and heat[1].startswith("Mon,")


def test_a_user_compares_their_own_messages_with_everyone(loaded, make_user, client_for):
    me = make_user("first", id=1)  # the known week's user 1
    body = client_for(me).get("/api/v1/analytics/me", SPAN).json()
    assert body["labels"] == ["2026-03-02", "2026-03-03"]
    assert body["series"]["me"] == [4, 0]
    assert body["series"]["average_active_user"] == [3.0, 1.0]


@pytest.mark.parametrize(
    "path,params,code,status",
    [
        ("series/messages", {"from": "2026-03-05", "to": "2026-03-01"}, "invalid", 400),
        ("series/messages", {"from": "March"}, "invalid", 400),
        ("series/messages", {"grain": "hour"}, "invalid", 400),
        ("series/messages", {"colour": "red"}, "invalid", 400),
        ("series/messages", {"from": "2020-01-01", "to": "2026-01-01"}, "invalid", 400),
        ("series/nope", {}, "not_found", 404),
        ("export/nope.csv", {}, "not_found", 404),
    ],
)
def test_bad_input_is_a_clear_error(db, staff, path, params, code, status):
    response = staff.get(f"/api/v1/analytics/site/{path}", params)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_dashboard_page_is_for_staff(db, make_user, client):
    client.force_login(make_user("staffer", is_staff=True))
    page = client.get("/admin/analytics/")
    assert page.status_code == 200
    assert b"analytics/vendor/chart.umd.js" in page.content
    assert "script-src 'self'" in page["Content-Security-Policy"]
    client.force_login(make_user("member"))
    assert client.get("/admin/analytics/").status_code == 302  # to the admin login


def test_analytics_endpoints_are_in_the_openapi_schema(db, staff):
    paths = staff.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"/api/v1/analytics/site/summary", "/api/v1/analytics/site/live", "/api/v1/analytics/me"} <= set(paths)
    assert "/api/v1/analytics/site/series/{name}" in paths
