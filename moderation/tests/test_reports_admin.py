"""The reports queue: filter by status, resolve or dismiss singly and in bulk, delete what was reported."""

import pytest

from chats import actions as chat_actions
from moderation import actions
from moderation.models import AuditLog, MessageReport
from moderation.tests.helpers import REPORTS, action_names, notes
from streaming.models import OutboxEvent
from testkit.factories import send

pytestmark = pytest.mark.django_db

Status = MessageReport.Status


@pytest.fixture
def reports(alice, bob, carol, group):
    """Three open reports by bob on three messages of alice (carol joins to report one too)."""
    chat_actions.do_invite(alice, group.id, carol)
    messages = [send(alice, group, f"message {i}") for i in range(3)]
    return [actions.do_report_message(bob, group.id, m.id, f"reason {i}") for i, m in enumerate(messages)]


def test_the_queue_filters_by_status(browser, moderator, reports):
    actions.do_resolve_reports(moderator, [reports[0].pk], Status.DISMISSED, "fine")
    admin = browser(moderator)
    open_ones = admin.get(REPORTS, {"status__exact": "open"}).context["cl"].result_list
    assert sorted(r.pk for r in open_ones) == sorted(r.pk for r in reports[1:])
    dismissed = admin.get(REPORTS, {"status__exact": "dismissed"}).context["cl"].result_list
    assert [r.pk for r in dismissed] == [reports[0].pk]


def test_a_bulk_dismiss_closes_the_open_ones_and_skips_the_closed(browser, moderator, reports):
    actions.do_resolve_reports(moderator, [reports[0].pk], Status.ACTIONED, "handled elsewhere")
    response = browser(moderator).action(REPORTS, "dismiss_reports", reports, reason="not against the rules")
    assert response.status_code == 302
    assert notes(response) == ["Dismissed: 2.", "Skipped 1 already closed."]
    statuses = dict(MessageReport.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in reports] == [Status.ACTIONED, Status.DISMISSED, Status.DISMISSED]
    dismissed = MessageReport.objects.get(pk=reports[1].pk)
    assert dismissed.resolved_by == moderator and dismissed.resolved_at is not None
    log = AuditLog.objects.filter(action="dismiss_report").order_by("id")
    assert [(e.target_type, e.target_id, e.reason) for e in log] == [
        ("report", str(r.pk), "not against the rules") for r in reports[1:]
    ]
    events = OutboxEvent.objects.filter(type="moderation.resolved", payload__action="dismissed")
    assert sorted(e.payload["report_id"] for e in events) == [r.pk for r in reports[1:]]
    assert all(e.payload["moderator_id"] == moderator.pk for e in events)


def test_a_bulk_resolve_marks_them_actioned(browser, moderator, reports):
    browser(moderator).action(REPORTS, "resolve_reports", reports, reason="warned the sender")
    assert set(MessageReport.objects.values_list("status", flat=True)) == {Status.ACTIONED}
    assert AuditLog.objects.filter(action="resolve_report").count() == 3


def test_deleting_the_reported_messages_tombstones_them_and_resolves_the_reports(
    store, browser, moderator, alice, group, reports
):
    response = browser(moderator).action(REPORTS, "delete_reported_messages", reports[:2], reason="spam")
    assert notes(response) == ["Deleted the message of reports: 2."]
    assert [store.get(r.message_id).is_deleted for r in reports] == [True, True, False]
    statuses = dict(MessageReport.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in reports] == [Status.ACTIONED, Status.ACTIONED, Status.OPEN]


def test_one_report_at_a_time_says_when_it_is_already_closed_or_unknown(moderator, reports):
    closed = actions.do_resolve_report(moderator, reports[0].pk, Status.DISMISSED, "fine")
    assert closed.status == Status.DISMISSED
    with pytest.raises(actions.ApiError, match="already dismissed"):
        actions.do_resolve_report(moderator, reports[0].pk, Status.ACTIONED, "again")
    for unknown in (10**9, "abc"):
        with pytest.raises(actions.ApiError, match="Report not found"):
            actions.do_resolve_report(moderator, unknown, Status.DISMISSED, "fine")
    with pytest.raises(actions.ApiError, match="actioned"):
        actions.do_resolve_report(moderator, reports[1].pk, "open", "not an outcome")


def test_a_missing_reason_resolves_nothing(browser, moderator, reports):
    page = browser(moderator).action(REPORTS, "dismiss_reports", reports, reason="")
    assert page.status_code == 200 and b"This field is required." in page.content
    assert set(MessageReport.objects.values_list("status", flat=True)) == {Status.OPEN}


def test_reports_are_not_edited_by_hand(browser, moderator, reports):
    admin = browser(moderator)
    page = admin.get(f"{REPORTS}{reports[0].pk}/change/")
    assert page.status_code == 200 and not page.context["adminform"].form.fields  # all read-only
    assert admin.post(f"{REPORTS}{reports[0].pk}/change/", {"status": "dismissed"}).status_code == 403
    assert admin.get(f"{REPORTS}add/").status_code == 403
    assert admin.post(f"{REPORTS}{reports[0].pk}/delete/", {"post": "yes"}).status_code == 403
    assert MessageReport.objects.get(pk=reports[0].pk).status == Status.OPEN


def test_staff_without_the_permissions_see_the_queue_but_not_the_actions(browser, onlooker, reports):
    admin = browser(onlooker)
    listing = admin.get(REPORTS, {"status__exact": "open"})
    assert listing.status_code == 200
    assert not {"dismiss_reports", "resolve_reports", "delete_reported_messages"} & set(action_names(listing))
    admin.action(REPORTS, "dismiss_reports", reports, reason="forged")
    assert set(MessageReport.objects.values_list("status", flat=True)) == {Status.OPEN}
    with pytest.raises(actions.ApiError):
        actions.do_resolve_reports(onlooker, [r.pk for r in reports], Status.DISMISSED, "the action checks too")


def test_two_reports_of_one_message_are_both_resolved_by_one_deletion(store, browser, moderator, alice, carol, reports):
    carols = actions.do_report_message(carol, reports[0].conversation_id, reports[0].message_id, "me too")
    response = browser(moderator).action(REPORTS, "delete_reported_messages", [reports[0], carols], reason="spam")
    assert notes(response) == ["Deleted the message of reports: 2."]
    statuses = dict(MessageReport.objects.values_list("pk", "status"))
    assert (statuses[reports[0].pk], statuses[carols.pk]) == (Status.ACTIONED, Status.ACTIONED)
    assert AuditLog.objects.filter(action="delete_message").count() == 1


def test_the_queue_opens_on_the_open_reports_and_names_the_sender(browser, moderator, reports):
    actions.do_resolve_reports(moderator, [reports[0].pk], Status.DISMISSED, "fine")
    admin = browser(moderator)
    landing = admin.get(REPORTS)
    assert landing.status_code == 302 and landing["Location"].endswith("?status__exact=open")
    page = admin.get(REPORTS, {"status__exact": "open"})
    assert sorted(r.pk for r in page.context["cl"].result_list) == sorted(r.pk for r in reports[1:])
    assert [r.sender_name for r in page.context["cl"].result_list] == ["alice", "alice"]
    assert admin.get(REPORTS, {"status": ""}).status_code == 200  # "All" stays one click away


def test_a_report_page_shows_the_message_among_its_neighbours_and_offers_the_actions(
    browser, moderator, alice, bob, group, reports
):
    send(bob, group, "<script>alert(1)</script> after")
    page = browser(moderator).get(f"{REPORTS}{reports[1].pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("message 0", "message 1", "message 2"):
        assert text in html
    assert '<tr class="reported"><th>alice</th><td>message 1</td></tr>' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; after" in html
    assert 'name="action" value="resolve_reports"' in html and 'value="dismiss_reports"' in html


def test_an_action_from_the_report_page_asks_why_then_closes_that_report(browser, moderator, reports):
    admin = browser(moderator)
    admin.get(f"{REPORTS}{reports[0].pk}/change/")
    asked = admin.post(REPORTS, {"action": "dismiss_reports", "_selected_action": reports[0].pk, "index": 0})
    assert asked.status_code == 200 and "Reason" in asked.content.decode()
    done = admin.post(
        REPORTS, {"action": "dismiss_reports", "_selected_action": reports[0].pk, "apply": "yes", "reason": "fine"}
    )
    assert done.status_code == 302
    assert MessageReport.objects.get(pk=reports[0].pk).status == Status.DISMISSED
    assert MessageReport.objects.get(pk=reports[1].pk).status == Status.OPEN
