"""The audit log: a row for every moderator action, and no way to change one."""

import pytest

from chats import actions as chat_actions
from chats.models import HeldMessage
from moderation import actions
from moderation.models import AppendOnly, AuditLog, MessageReport
from moderation.tests.helpers import AUDIT, turn_on_two_factor
from testkit.factories import send
from testkit.ml_data import HELD_TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(moderator, bob):
    actions.do_ban_user(moderator, bob, "abuse")
    return AuditLog.objects.get()


def test_every_action_leaves_its_own_kind_of_row(holding, moderator, alice, bob, carol, group):
    chat_actions.do_invite(alice, group.id, carol)
    message = send(alice, group, "x")
    other = send(alice, group, "y")
    report = actions.do_report_message(bob, group.id, other.id, "rude")
    actions.do_ban_user(moderator, bob, "1")
    actions.do_unban_user(moderator, bob, "2")
    actions.do_deactivate_user(moderator, carol, "3")
    actions.do_reactivate_user(moderator, carol, "4")
    actions.do_delete_message(moderator, message.id, "5")
    actions.do_resolve_report(moderator, report.pk, MessageReport.Status.ACTIONED, "6")
    report2 = actions.do_report_message(carol, group.id, other.id, "rude")
    actions.do_resolve_report(moderator, report2.pk, MessageReport.Status.DISMISSED, "7")
    for client_id, decision, reason in (("h8", "approve", "8"), ("h9", "reject", "9")):
        with pytest.raises(chat_actions.MessageHeld):
            chat_actions.do_send_message(alice, group.id, text=HELD_TEXT, client_id=client_id)
        held = HeldMessage.objects.get(client_id=client_id)
        actions.do_review_held(moderator, held.pk, decision, reason)
    turn_on_two_factor(carol)
    actions.do_reset_two_factor(moderator, carol, "0")
    alice.avatar_version = "0123456789abcdef"  # a picture, as files.actions.do_set_avatar leaves it
    alice.save(update_fields=["avatar_version"])
    actions.do_remove_avatar(moderator, alice, "A")
    rows = AuditLog.objects.order_by("id")
    assert [(e.action, e.reason) for e in rows] == list(zip(AuditLog.Action.values, "1234567890A", strict=True))
    assert {e.moderator_id for e in rows} == {moderator.pk}


def test_a_refused_action_leaves_no_row(moderator, bob):
    with pytest.raises(actions.ApiError):
        actions.do_unban_user(moderator, bob, "not banned")
    with pytest.raises(actions.ApiError):
        actions.do_ban_user(moderator, bob, "")
    assert not AuditLog.objects.exists()


def test_the_log_names_the_moderator_even_after_their_account_is_gone(entry, moderator):
    moderator.delete()
    entry = AuditLog.objects.get()
    assert entry.moderator is None and entry.moderator_name == "mod"


def test_rows_cannot_be_changed_or_deleted(entry):
    entry.reason = "rewritten"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditLog.objects.update(reason="rewritten")
    with pytest.raises(AppendOnly):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get().reason == "abuse"


def test_the_admin_shows_the_log_read_only(browser, moderator, entry):
    admin = browser(moderator)
    listing = admin.get(AUDIT)
    assert listing.status_code == 200 and b"abuse" in listing.content
    assert not listing.context["action_form"]  # not even "delete selected"
    detail = admin.get(f"{AUDIT}{entry.pk}/change/")
    assert detail.status_code == 200 and not detail.context["adminform"].form.fields
    assert admin.post(f"{AUDIT}{entry.pk}/change/", {"reason": "rewritten"}).status_code == 403
    assert admin.get(f"{AUDIT}add/").status_code == 403
    assert admin.post(f"{AUDIT}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.get().reason == "abuse"


def test_no_one_can_be_granted_the_right_to_edit_it():
    from django.contrib.auth.models import Permission

    codenames = set(Permission.objects.filter(content_type__app_label="moderation").values_list("codename", flat=True))
    assert not {"add_auditlog", "change_auditlog", "delete_auditlog"} & codenames
