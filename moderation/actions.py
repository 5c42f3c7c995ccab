"""Every moderator action. The admin (and any later API or command) calls these, so each rule
lives here once.

`check_*` authorizes (staff with the matching permission) and validates, raising ApiError, whose
message the admin shows; `do_*` writes in one transaction: the change, its audit row, its domain
event, and the after-commit push that closes sockets or shows a tombstone.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import actions as account_actions
from accounts import two_factor
from accounts.actions import revoke_logins
from accounts.models import User
from chats import actions as chat_actions
from chats.backends.types import AlreadyDone, Message
from chats.selectors import message_in
from chatsite.api_errors import ApiError
from gateway.protocol import Close
from moderation import selectors
from moderation.models import REASON_MAX_LENGTH, AuditLog, Ban, MessageReport
from streaming.events import emit

Action = AuditLog.Action
Target = AuditLog.Target
Status = MessageReport.Status

BAN_USER = "moderation.ban_user"
DEACTIVATE_USER = "moderation.deactivate_user"
DELETE_MESSAGE = "moderation.delete_message"
RESOLVE_REPORT = "moderation.resolve_report"
RESET_TWO_FACTOR = "moderation.reset_two_factor"
REMOVE_AVATAR = "moderation.remove_avatar"


# --- shared rules ---


def check_permission(moderator, permission: str) -> None:
    # is_staff too: a permission granted to a non-staff account by mistake must not make a moderator.
    if not (moderator.is_active and moderator.is_staff and moderator.has_perm(permission)):
        raise ApiError("forbidden", "You do not have permission to do this.", 403)


def clean_reason(reason) -> str:
    """Every action says why: the audit log is only useful if it does."""
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError("invalid", "Give a reason.", 400, fields={"reason": ["Give a reason."]})
    reason = reason.strip()
    if len(reason) > REASON_MAX_LENGTH:
        message = f"A reason is at most {REASON_MAX_LENGTH} characters."
        raise ApiError("invalid", message, 400, fields={"reason": [message]})
    return reason


def _audit(moderator, action, target_type, target_id, reason, **details):
    return AuditLog.objects.create(
        moderator=moderator,
        moderator_name=moderator.get_username(),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason,
        details=details,
    )


# --- accounts: ban, unban, deactivate, reactivate ---


def _check_account_target(moderator, user):
    if user.pk == moderator.pk:
        raise ApiError("invalid", "You cannot do this to your own account.", 400)
    if (user.is_staff or user.is_superuser) and not moderator.is_superuser:
        raise ApiError("forbidden", f"Only a superuser may do this to the staff account {user.username}.", 403)


def _user_event(event_type, moderator, user, reason):
    payload = {"user_id": user.pk, "reason": reason, "moderator_id": moderator.pk}
    emit(event_type, key=user.pk, payload=payload, actor=moderator)


def _locked(user) -> User:
    """The user's row, locked: two moderators acting on one account at once take turns."""
    return User.objects.select_for_update().get(pk=user.pk)


def _disable(user):
    """The account can no longer sign in, and every way it is signed in ends now."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    revoke_logins(user, Close.ACCOUNT_DISABLED)
    user.is_active = False


def check_ban_user(moderator, user, reason) -> str:
    check_permission(moderator, BAN_USER)
    reason = clean_reason(reason)
    _check_account_target(moderator, user)
    if Ban.objects.filter(user=user).exists():
        raise ApiError("already_banned", f"{user.username} is already banned.", 409)
    return reason


def do_ban_user(moderator, user, reason) -> Ban:
    """Ban: the account is disabled, its tokens and sessions revoked and its open sockets closed
    (4410), until a moderator unbans it. Returns the Ban."""
    reason = check_ban_user(moderator, user, reason)
    with transaction.atomic():
        was_active = _locked(user).is_active
        try:
            with transaction.atomic():  # a savepoint: losing a race to another ban leaves this one usable
                ban = Ban.objects.create(user=user, reason=reason, banned_by=moderator)
        except IntegrityError:
            raise ApiError("already_banned", f"{user.username} is already banned.", 409) from None
        _disable(user)
        _audit(moderator, Action.BAN_USER, Target.USER, user.pk, reason, username=user.username, was_active=was_active)
        _user_event("user.banned", moderator, user, reason)
    return ban


def check_unban_user(moderator, user, reason) -> str:
    check_permission(moderator, BAN_USER)
    reason = clean_reason(reason)
    if not Ban.objects.filter(user=user).exists():
        raise ApiError("not_banned", f"{user.username} is not banned.", 409)
    return reason


def do_unban_user(moderator, user, reason) -> None:
    """Sign-in works again; the tokens and sessions the ban revoked stay revoked."""
    reason = check_unban_user(moderator, user, reason)
    with transaction.atomic():
        _locked(user)
        ban = Ban.objects.filter(user=user).first()
        if ban is None:  # another moderator unbanned first
            raise ApiError("not_banned", f"{user.username} is not banned.", 409)
        details = {"username": user.username, "banned_at": ban.banned_at.isoformat(), "ban_reason": ban.reason}
        ban.delete()
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        _audit(moderator, Action.UNBAN_USER, Target.USER, user.pk, reason, **details)
        _user_event("user.unbanned", moderator, user, reason)


def check_deactivate_user(moderator, user, reason) -> str:
    check_permission(moderator, DEACTIVATE_USER)
    reason = clean_reason(reason)
    _check_account_target(moderator, user)
    if Ban.objects.filter(user=user).exists():
        raise ApiError("already_banned", f"{user.username} is banned; unban first to change the account.", 409)
    if not user.is_active:
        raise ApiError("already_inactive", f"{user.username} is already deactivated.", 409)
    return reason


def do_deactivate_user(moderator, user, reason) -> None:
    """Disable an account without the sanction of a ban (an owner's request, a dead account):
    the same effect on logins and sockets, a different audit entry and event."""
    reason = check_deactivate_user(moderator, user, reason)
    with transaction.atomic():
        if not _locked(user).is_active:
            raise ApiError("already_inactive", f"{user.username} is already deactivated.", 409)
        _disable(user)
        _audit(moderator, Action.DEACTIVATE_USER, Target.USER, user.pk, reason, username=user.username)
        _user_event("user.deactivated", moderator, user, reason)


def check_reactivate_user(moderator, user, reason) -> str:
    check_permission(moderator, DEACTIVATE_USER)
    reason = clean_reason(reason)
    if Ban.objects.filter(user=user).exists():
        raise ApiError("banned", f"{user.username} is banned; unban instead.", 409)
    if user.is_active:
        raise ApiError("already_active", f"{user.username} is already active.", 409)
    return reason


def do_reactivate_user(moderator, user, reason) -> None:
    reason = check_reactivate_user(moderator, user, reason)
    with transaction.atomic():
        if _locked(user).is_active:
            raise ApiError("already_active", f"{user.username} is already active.", 409)
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        _audit(moderator, Action.REACTIVATE_USER, Target.USER, user.pk, reason, username=user.username)
        _user_event("user.reactivated", moderator, user, reason)


def check_reset_two_factor(moderator, user, reason) -> str:
    check_permission(moderator, RESET_TWO_FACTOR)
    reason = clean_reason(reason)
    _check_account_target(moderator, user)
    two_factor.check_reset(user)
    return reason


def do_reset_two_factor(moderator, user, reason) -> None:
    """The recovery path of a user who lost both the authenticator and the recovery codes, once a
    moderator has checked out of band who is asking: the second factor goes, and so does every
    login of the user (whoever holds the phone may hold one). They sign in with the password
    alone and enrol again."""
    reason = check_reset_two_factor(moderator, user, reason)
    with transaction.atomic():
        _locked(user)
        two_factor.do_reset(user, actor=moderator, reason=reason)
        _audit(moderator, Action.RESET_TWO_FACTOR, Target.USER, user.pk, reason, username=user.username)


def check_remove_avatar(moderator, user, reason) -> str:
    check_permission(moderator, REMOVE_AVATAR)
    reason = clean_reason(reason)
    _check_account_target(moderator, user)
    if not user.avatar_version:
        raise ApiError("invalid", f"{user.username} has no picture.", 400)
    return reason


def do_remove_avatar(moderator, user, reason) -> None:
    """An offensive picture goes; the account stays. Its bytes go after commit (files)."""
    reason = check_remove_avatar(moderator, user, reason)
    with transaction.atomic():
        _locked(user)
        account_actions.do_remove_avatar(user, actor=moderator)
        _audit(moderator, Action.REMOVE_AVATAR, Target.USER, user.pk, reason, username=user.username)


# --- messages ---


def check_delete_message(moderator, message_id, reason) -> tuple[Message, str]:
    check_permission(moderator, DELETE_MESSAGE)
    reason = clean_reason(reason)
    message = selectors.find_message(message_id)
    if message is None:
        raise ApiError("not_found", "Message not found.", 404)
    if message.is_deleted:
        raise ApiError("deleted", "This message was already deleted.", 409)
    return message, reason


def do_delete_message(moderator, message_id, reason) -> Message:
    """Delete any message with a reason. The tombstone is the one chats.actions makes for a sender
    or conversation admin (the author and every member see it, live and on resume); the deleted
    text stays in the audit row for moderators. The message's open reports are resolved as
    actioned. Returns the tombstone."""
    message, reason = check_delete_message(moderator, message_id, reason)
    with transaction.atomic():
        try:
            tombstone = chat_actions.tombstone(moderator, message)
        except AlreadyDone:  # deleted by someone else since the check
            raise ApiError("deleted", "This message was already deleted.", 409) from None
        _audit(
            moderator,
            Action.DELETE_MESSAGE,
            Target.MESSAGE,
            message.id,
            reason,
            conversation_id=str(message.conversation_id),
            seq=message.seq,
            sender_id=message.sender_id,
            text=message.text,
        )
        _close_reports(moderator, selectors.open_reports_of(message.id), Status.ACTIONED, reason)
    return tombstone


# --- reports ---

OUTCOMES = {Status.ACTIONED: Action.RESOLVE_REPORT, Status.DISMISSED: Action.DISMISS_REPORT}


def check_resolve_reports(moderator, outcome, reason) -> str:
    check_permission(moderator, RESOLVE_REPORT)
    if outcome not in OUTCOMES:
        raise ApiError("invalid", "A report is resolved as 'actioned' or 'dismissed'.", 400)
    return clean_reason(reason)


def do_resolve_reports(moderator, report_ids, outcome, reason) -> tuple[list[MessageReport], int]:
    """Close the open reports among `report_ids` as `outcome` (actioned: something was done;
    dismissed: nothing needed doing). Returns (the reports closed, how many were skipped because
    they were closed already or do not exist)."""
    reason = check_resolve_reports(moderator, outcome, reason)
    try:
        ids = {int(i) for i in report_ids}
    except (TypeError, ValueError):
        raise ApiError("invalid", "Report ids are integers.", 400) from None
    with transaction.atomic():
        reports = list(MessageReport.objects.select_for_update().filter(pk__in=ids, status=Status.OPEN).order_by("pk"))
        _close_reports(moderator, reports, outcome, reason)
    return reports, len(ids) - len(reports)


def do_resolve_report(moderator, report_id, outcome, reason) -> MessageReport:
    """One report; unlike the bulk form, a report that is not open is an error."""
    reason = check_resolve_reports(moderator, outcome, reason)
    report = MessageReport.objects.filter(pk=report_id).first() if str(report_id).isdigit() else None
    if report is None:
        raise ApiError("not_found", "Report not found.", 404)
    closed, _ = do_resolve_reports(moderator, [report.pk], outcome, reason)
    if not closed:
        raise ApiError("already_resolved", f"Report {report.pk} is already {report.status}.", 409)
    return closed[0]


def _close_reports(moderator, reports, outcome, reason):
    now = timezone.now()
    for report in reports:
        report.status, report.resolved_at, report.resolved_by = outcome, now, moderator
        report.save(update_fields=["status", "resolved_at", "resolved_by"])
        _audit(
            moderator,
            OUTCOMES[outcome],
            Target.REPORT,
            report.pk,
            reason,
            message_id=str(report.message_id),
            conversation_id=str(report.conversation_id),
        )
        emit(
            "moderation.resolved",
            key=report.conversation_id,
            actor=moderator,
            payload={
                "report_id": report.pk,
                "conversation_id": str(report.conversation_id),
                "message_id": str(report.message_id),
                "action": outcome,
                "moderator_id": moderator.pk,
                "reason": reason,
            },
        )


# --- held messages: the review queue of sends the models held ---

# What a held send teaches the model that held it (ml.handlers listens to these).
HELD_EVENTS = {"approve": "moderation.held_approved", "reject": "moderation.held_rejected"}
HELD_AUDIT = {"approve": Action.APPROVE_HELD, "reject": Action.REJECT_HELD}


def check_review_held(moderator, decision, reason) -> str:
    # Reviewing held sends is report work: the same permission.
    check_permission(moderator, RESOLVE_REPORT)
    if decision not in HELD_EVENTS:
        raise ApiError("invalid", "A held message is approved or rejected.", 400)
    return clean_reason(reason)


def do_review_held(moderator, held_id, decision, reason):
    """Approve (the message is sent as its sender wrote it) or reject (it is dropped) one held
    send, with its audit row and the label event for ml. Returns the HeldMessage."""
    reason = check_review_held(moderator, decision, reason)
    with transaction.atomic():
        if decision == "approve":
            held, message = chat_actions.do_approve_held(moderator, held_id)
            message_id = message.id
        else:
            held = chat_actions.do_reject_held(moderator, held_id)
            message_id = held.id  # never stored: the hold stands for the message in the label
        _audit(
            moderator,
            HELD_AUDIT[decision],
            Target.MESSAGE,
            message_id,
            reason,
            conversation_id=str(held.conversation_id),
            sender_id=held.sender_id,
            held_id=str(held.id),
            code=held.code,
            text=held.text,
        )
        emit(
            HELD_EVENTS[decision],
            key=held.conversation_id,
            actor=moderator,
            payload={
                "message_id": str(message_id),
                "conversation_id": str(held.conversation_id),
                "kind": held.code.removesuffix("_suspected"),
                "text": held.text,
                "moderator_id": moderator.pk,
                "reason": reason,
            },
        )
    return held


# --- reports: a member asks the moderators to look at a message ---


def check_report(user, conversation_id, message_id, reason: str) -> Message:
    _, membership, message = message_in(user, conversation_id, message_id)
    if membership is None:
        raise ApiError("not_member", "Join this conversation first.", 403)
    if message.is_deleted:
        raise ApiError("deleted", "This message was deleted.", 409)
    if message.sender_id == user.pk:
        raise ApiError(
            "invalid",
            "You cannot report your own message.",
            400,
            fields={"message_id": ["You cannot report your own message."]},
        )
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise ApiError(
            "invalid",
            "Give a reason of 1-500 characters.",
            400,
            fields={"reason": ["Give a reason of 1-500 characters."]},
        )
    if MessageReport.objects.filter(message_id=message.id, reporter=user).exists():
        raise ApiError("already_reported", "You already reported this message.", 409)
    return message


def do_report_message(user, conversation_id, message_id, reason: str) -> MessageReport:
    try:
        with transaction.atomic():
            message = check_report(user, conversation_id, message_id, reason)
            report = MessageReport.objects.create(
                conversation_id=conversation_id,
                message_id=message.id,
                reporter=user,
                reason=reason.strip(),
                text_snapshot=message.text,
                sender_id=message.sender_id,
            )
            payload = {
                "report_id": report.pk,
                "conversation_id": str(conversation_id),
                "message_id": str(message.id),
                "reporter_id": user.pk,
                "reason": report.reason,
            }
            emit("moderation.reported", key=conversation_id, actor=user, payload=payload)
    except IntegrityError:  # the same report twice at once: the first one stands
        raise ApiError("already_reported", "You already reported this message.", 409) from None
    return report
