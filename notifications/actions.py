"""Every write of the notifications app: devices and preferences. Planning and delivery, which
the events and tasks drive, live in planner.py and delivery.py."""

import base64
import binascii
import hashlib
import re
import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.selectors import get_user
from chats import selectors as chat_selectors
from chatsite import outbound, ratelimit
from chatsite.api_errors import ApiError
from notifications.backends import adapter_for
from notifications.models import (
    EVENT_KINDS,
    Channel,
    ConversationPreference,
    ConversationRule,
    Level,
    Notification,
    PhoneChallenge,
    Preferences,
    PushDevice,
)

MAX_DEVICES = 20
MAX_KEYWORDS = 20


def invalid(field, message):
    return ApiError("invalid", message, 400, fields={field: [message]})


def _urlsafe_bytes(value, field, length=None):
    if not isinstance(value, str) or not value:
        raise invalid(field, "Expected a base64url string.")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise invalid(field, "Expected a base64url string.") from None
    if length is not None and len(raw) != length:
        raise invalid(field, f"Expected {length} bytes.")
    return raw


def check_push_endpoint(url):
    try:
        # The name's addresses are checked before each push (delivery), where they count.
        outbound.check_url(
            url,
            schemes=("https",),
            allowed_hosts=settings.NOTIFY_PUSH_HOSTS,
            allow_loopback=settings.NOTIFY_PUSH_ALLOW_LOOPBACK,
            resolve=False,
        )
    except outbound.UnsafeURL as exc:
        raise invalid("subscription", f"The push endpoint is refused: {exc}.") from None


def check_register_device(user, kind, *, subscription=None, token=None):
    """The device's fields, validated -> (address, fields)."""
    if kind == PushDevice.Kind.WEBPUSH:
        if not isinstance(subscription, dict) or not isinstance(subscription.get("keys"), dict):
            raise invalid("subscription", "A Web Push subscription has an endpoint and keys {p256dh, auth}.")
        endpoint = subscription.get("endpoint")
        if not isinstance(endpoint, str) or len(endpoint) > 1024:
            raise invalid("subscription", "The endpoint is an https URL of at most 1024 characters.")
        check_push_endpoint(endpoint)
        p256dh, auth = subscription["keys"].get("p256dh"), subscription["keys"].get("auth")
        point = _urlsafe_bytes(p256dh, "subscription")
        if len(point) != 65 or point[0] != 4:
            raise invalid("subscription", "p256dh is an uncompressed P-256 point.")
        _urlsafe_bytes(auth, "subscription", 16)
        return f"webpush:{endpoint}", {"endpoint": endpoint, "p256dh": p256dh, "auth": auth}
    if kind in (PushDevice.Kind.FCM, PushDevice.Kind.APNS):
        if not isinstance(token, str) or not token.strip() or len(token) > 512 or not token.isprintable():
            raise invalid("token", "A device token is a printable string of at most 512 characters.")
        if kind == PushDevice.Kind.APNS and not all(c in "0123456789abcdefABCDEF" for c in token):
            raise invalid("token", "An APNs device token is hexadecimal.")
        digest = hashlib.sha256(token.encode()).hexdigest()
        return f"{kind}:{digest}", {"token": token}
    raise invalid("kind", "kind is webpush, fcm or apns.")


def do_register_device(user, kind, *, subscription=None, token=None, app_id="", locale=""):
    """(device, created). The same endpoint or token registered again is one device, now the
    caller's: a browser or phone that changed accounts notifies only the new one."""
    with transaction.atomic():
        address, fields = check_register_device(user, kind, subscription=subscription, token=token)
        existing = PushDevice.objects.select_for_update().filter(address=address).first()
        if existing is None and PushDevice.objects.filter(user=user).count() >= MAX_DEVICES:
            raise ApiError("too_many_devices", f"At most {MAX_DEVICES} devices per account.", 409)
        device, created = PushDevice.objects.update_or_create(
            address=address,
            defaults={"user": user, "kind": kind, "app_id": app_id[:200], "locale": locale[:35], **fields},
        )
    return device, created


def do_remove_device(user, device_id):
    with transaction.atomic():
        deleted, _ = PushDevice.objects.filter(user=user, pk=device_id).delete()
    if not deleted:
        raise ApiError("not_found", "Device not found.", 404)


def forget_device(device_id):
    """The push service said the device is gone (410, Unregistered, BadDeviceToken)."""
    PushDevice.objects.filter(pk=device_id).delete()


# --- preferences ---


def preferences_of(user):
    prefs = Preferences.objects.filter(user=user).first()
    return prefs or Preferences(user=user)


def _check_time_zone(name):
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise invalid("time_zone", "Unknown time zone.") from None


def _check_channels(channels):
    if not isinstance(channels, dict) or set(channels) - set(EVENT_KINDS):
        raise invalid("channels", f"channels maps {', '.join(EVENT_KINDS)} to lists of push, email, sms.")
    for kind, chosen in channels.items():
        if not isinstance(chosen, list) or not set(chosen) <= set(Channel.values):
            raise invalid("channels", f"channels.{kind} is a list of push, email, sms.")


def _check_keywords(keywords):
    if (
        not isinstance(keywords, list)
        or len(keywords) > MAX_KEYWORDS
        or not all(isinstance(k, str) and 0 < len(k.strip()) <= 50 for k in keywords)
    ):
        raise invalid("keywords", f"keywords is a list of at most {MAX_KEYWORDS} words of 1 to 50 characters.")


def check_update_preferences(user, changes):
    if "time_zone" in changes:
        _check_time_zone(changes["time_zone"])
    if "channels" in changes:
        _check_channels(changes["channels"])
    if "keywords" in changes:
        _check_keywords(changes["keywords"])
    if ("dnd_start" in changes) != ("dnd_end" in changes):
        raise invalid("dnd_start", "dnd_start and dnd_end are set together.")
    if (changes.get("dnd_start") is None) != (changes.get("dnd_end") is None):
        raise invalid("dnd_start", "dnd_start and dnd_end are both times, or both null.")
    if changes.get("channels"):
        wants_sms = any(Channel.SMS in chosen for chosen in changes["channels"].values())
        if wants_sms and not preferences_of(user).phone_verified:
            raise invalid("channels", "SMS needs a verified phone number first.")


def do_update_preferences(user, changes):
    with transaction.atomic():
        check_update_preferences(user, changes)
        prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
        if "channels" in changes:
            changes = {**changes, "channels": {**prefs.channels, **changes["channels"]}}
        if "keywords" in changes:
            changes = {**changes, "keywords": sorted({k.strip() for k in changes["keywords"]}, key=str.lower)}
        for field, value in changes.items():
            setattr(prefs, field, value)
        prefs.save()
    return prefs


def conversation_settings(user, conversation_id):
    """(conversation preference, rule) for a conversation the user belongs to; 404 otherwise."""
    if not chat_selectors.is_member(user.pk, conversation_id):
        raise chat_selectors.not_found()
    pref = ConversationPreference.objects.filter(user=user, conversation_id=conversation_id).first()
    rule = ConversationRule.objects.filter(conversation_id=conversation_id).first()
    return (
        pref or ConversationPreference(user=user, conversation_id=conversation_id),
        rule or default_rule(conversation_id),
    )


def default_rule(conversation_id):
    return ConversationRule(conversation_id=conversation_id, mention_all_notifies=True)


def check_update_conversation(user, conversation_id, changes):
    _conversation, membership = chat_selectors.conversation_for(user, conversation_id)
    if membership is None:
        raise chat_selectors.not_found()
    if "level" in changes and changes["level"] not in (ConversationPreference.FOLLOW, *Level.values):
        raise invalid("level", "level is default, all, mentions or nothing.")
    if "mention_all_notifies" in changes and not membership.is_admin:
        raise ApiError("forbidden", "Only an admin or the owner decides whether @all notifies.", 403)


def do_update_conversation(user, conversation_id, changes):
    with transaction.atomic():
        check_update_conversation(user, conversation_id, changes)
        personal = {k: v for k, v in changes.items() if k in ("level", "muted_until")}
        if personal:
            ConversationPreference.objects.update_or_create(
                user=user, conversation_id=conversation_id, defaults=personal
            )
        if "mention_all_notifies" in changes:
            ConversationRule.objects.update_or_create(
                conversation_id=conversation_id, defaults={"mention_all_notifies": changes["mention_all_notifies"]}
            )
    return conversation_settings(user, conversation_id)


def do_unsubscribe_email(user_id):
    """The signed link of a digest: e-mail leaves every kind's channels, and what waits is dropped."""
    user = get_user(user_id)
    if user is None:
        return False
    with transaction.atomic():
        prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
        prefs.channels = {kind: [c for c in chosen if c != Channel.EMAIL] for kind, chosen in prefs.channels.items()}
        prefs.save(update_fields=["channels"])
        Notification.objects.filter(user=user, channel=Channel.EMAIL, status=Notification.Status.PENDING).update(
            status=Notification.Status.SKIPPED
        )
    return True


# --- a phone number for SMS, proved with a code sent to it ---

PHONE = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164, as Twilio takes it
CODE_SECONDS = 600
CODE_TRIES = 5
CODE_RATE = "5/h"  # codes sent per person: each one is a paid text to a number they typed


def code_hash(user, phone, code):
    return salted_hmac("notifications.phone-code", f"{user.pk}:{phone}:{code}").hexdigest()


def check_start_phone_check(user, phone):
    if not isinstance(phone, str) or not PHONE.match(phone):
        raise invalid("phone", "A phone number in international form, such as +15551234567.")
    if not settings.NOTIFY_ADAPTERS.get("sms") or not adapter_for("sms").configured():
        raise ApiError("sms_unavailable", "This server sends no SMS.", 409)
    wait = ratelimit.hit(f"phone-code:{user.pk}", CODE_RATE)
    if wait is not None:
        raise ApiError("throttled", f"Too many codes asked for; try again in {wait} seconds.", 429)


def do_start_phone_check(user, phone):
    """Send a code to `phone`; until it comes back, SMS stays off (a new number is not verified)."""
    with transaction.atomic():
        check_start_phone_check(user, phone)
        code = f"{secrets.randbelow(10**6):06d}"
        PhoneChallenge.objects.update_or_create(
            user=user,
            defaults={
                "phone": phone,
                "code_hash": code_hash(user, phone, code),
                "expires_at": timezone.now() + timedelta(seconds=CODE_SECONDS),
                "attempts": 0,
            },
        )
        prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
        if prefs.phone != phone:
            _forget_phone(prefs)
            prefs.phone = phone
            prefs.save(update_fields=["phone", "phone_verified", "channels"])

        def send_code():
            from notifications import tasks

            tasks.send_phone_code.delay(phone, code)

        transaction.on_commit(send_code, robust=True)


def _forget_phone(prefs):
    prefs.phone_verified = False
    prefs.channels = {kind: [c for c in chosen if c != Channel.SMS] for kind, chosen in prefs.channels.items()}


def check_confirm_phone(user, code):
    """The open challenge the code answers; a wrong code counts against it."""
    challenge = PhoneChallenge.objects.select_for_update().filter(user=user).first()
    if challenge is None or challenge.expires_at <= timezone.now() or challenge.attempts >= CODE_TRIES:
        raise ApiError("no_code", "No valid code is waiting: ask for a new one.", 400)
    if not isinstance(code, str) or not constant_time_compare(
        code_hash(user, challenge.phone, code.strip()), challenge.code_hash
    ):
        return challenge, False
    return challenge, True


def do_confirm_phone(user, code):
    with transaction.atomic():
        challenge, right = check_confirm_phone(user, code)
        if not right:
            PhoneChallenge.objects.filter(pk=challenge.pk).update(attempts=challenge.attempts + 1)
        else:
            challenge.delete()
            prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
            prefs.phone, prefs.phone_verified = challenge.phone, True
            prefs.save(update_fields=["phone", "phone_verified"])
    if not right:  # raised after the commit, so that the wrong try is counted
        raise invalid("code", "That code is not the one we sent.")
    return prefs


def do_remove_phone(user):
    with transaction.atomic():
        prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
        _forget_phone(prefs)
        prefs.phone = ""
        prefs.save(update_fields=["phone", "phone_verified", "channels"])
        PhoneChallenge.objects.filter(user=user).delete()
    return prefs
