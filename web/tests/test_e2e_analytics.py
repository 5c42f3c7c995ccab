"""The staff analytics dashboard in Chromium: it draws every chart and table from the API with no
script or CSP error, and a screenshot is kept (web/tests/artifacts/analytics-dashboard.png)."""

import pytest
from playwright.sync_api import expect

from analytics import etl, raw
from analytics.tests import known_world as w
from web.tests.browser import PASSWORD, user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def known_week(settings, tmp_path):
    settings.ANALYTICS_DATA_DIR = str(tmp_path)
    first, replay = w.events()
    raw.write_rows(first)
    raw.write_rows(replay)
    etl.run(w.D0, w.D1)


def test_staff_dashboard_draws_the_known_week(tabs, known_week):
    user("boss", is_staff=True)
    tab = tabs(viewport={"width": 1280, "height": 1400})
    page = tab.open("/admin/login/?next=/admin/analytics/").page
    page.locator("#id_username").fill("boss")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Analytics")
    page.locator("input[name=from]").fill(w.D0.isoformat())
    page.locator("input[name=to]").fill(w.D1.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#status")).to_have_text("Days 2026-03-02 to 2026-03-03 (UTC).")
    expect(page.locator("[data-tile=messages]")).to_have_text("10")
    expect(page.locator("[data-tile=mau]")).to_have_text("6")
    expect(page.locator("[data-chart] canvas")).to_have_count(13)
    expect(page.locator("[data-chart=held_messages] h2")).to_contain_text("held for review")
    live = page.locator("[data-chart=live] h2 a").get_attribute("href")
    assert live == "/api/v1/analytics/site/export/live.csv?"
    expect(page.locator("[data-table=top-channels] td").first).to_have_text(w.CH1)
    expect(page.locator("[data-table=heatmap] tbody tr")).to_have_count(7)
    href = page.locator("[data-chart=messages] h2 a").get_attribute("href")
    assert href.startswith("/api/v1/analytics/site/export/messages.csv?from=2026-03-02")
    tab.shot("analytics-dashboard")


def test_a_range_typed_before_the_page_script_ran_is_kept(tabs, known_week):
    # The dashboard's script is deferred: the form is on screen before it runs. Hold the script,
    # type a range, then let it run; its defaults must not overwrite what was typed.
    user("boss", is_staff=True)
    tab = tabs()
    page = tab.page
    held = []
    page.route("**/analytics/dashboard.js*", lambda route: held.append(route))
    tab.open("/admin/login/?next=/admin/analytics/")
    page.locator("#id_username").fill("boss")
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_request("**/analytics/dashboard.js*"):
        page.locator("input[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Analytics")
    page.locator("input[name=from]").fill(w.D0.isoformat())
    page.locator("input[name=to]").fill(w.D1.isoformat())
    assert held  # the script really had not run yet
    held[0].continue_()
    # Its own first load asks for the typed days.
    expect(page.locator("#status")).to_have_text("Days 2026-03-02 to 2026-03-03 (UTC).")
    expect(page.locator("[data-tile=messages]")).to_have_text("10")


def test_the_dashboard_is_for_staff_only(tabs, known_week):
    user("member")
    tab = tabs()
    page = tab.open("/admin/login/?next=/admin/analytics/").page
    page.locator("#id_username").fill("member")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    # The admin's own answer to a non-staff login: the form again, with its error.
    expect(page.locator(".errornote")).to_be_visible()
    tab.open("/admin/analytics/")
    expect(page.locator("#id_username")).to_be_visible()


def test_a_slow_first_load_never_paints_over_the_range_asked_for_since(tabs, known_week):
    user("boss", is_staff=True)
    tab = tabs()
    page = tab.page
    asked = f"from={w.D0.isoformat()}"
    held = []

    def hold_the_first_load(route):
        # The page's own first load (the default range) waits; the range asked for goes through,
        # and so does the live chart, which has no range.
        if asked in route.request.url or "/site/live" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/v1/analytics/**", hold_the_first_load)
    tab.open("/admin/login/?next=/admin/analytics/")
    page.locator("#id_username").fill("boss")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page.locator("#status")).to_have_text("Loading…")
    page.locator("input[name=from]").fill(w.D0.isoformat())
    page.locator("input[name=to]").fill(w.D1.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#status")).to_have_text("Days 2026-03-02 to 2026-03-03 (UTC).")
    assert held  # the first load really was in flight
    with page.expect_response(lambda r: "/api/v1/analytics/site/summary" in r.url and asked not in r.url):
        for route in held:
            route.continue_()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#status")).to_have_text("Days 2026-03-02 to 2026-03-03 (UTC).")
    expect(page.locator("[data-tile=messages]")).to_have_text("10")
