"""Who wants to hear of a message, and through what: pure decisions over preferences, so that the
planner reads the data once and every rule is in one place."""

import re
import zoneinfo
from datetime import datetime

from notifications.models import DIRECT, MENTION, Channel, ConversationPreference, Level

# Why a person is notified, strongest first.
REASON_DIRECT, REASON_MENTION, REASON_ALL, REASON_KEYWORD, REASON_MESSAGE = (
    "direct",
    "mention",
    "mention_all",
    "keyword",
    "message",
)


def keyword_hit(keywords, text):
    """Whether one of the person's keywords is a whole word (or phrase) of the text, any case."""
    return any(re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE) for keyword in keywords)


def reason_for(user_id, *, is_direct, payload, keywords, mention_all_notifies):
    """Why this message concerns this person: a mention first (it passes a level of "mentions"),
    then the conversation's kind."""
    if user_id in payload.get("mentions", ()):
        return REASON_MENTION
    if payload.get("mention_all") and mention_all_notifies:
        return REASON_ALL
    if keywords and keyword_hit(keywords, payload.get("text") or ""):
        return REASON_KEYWORD
    return REASON_DIRECT if is_direct else REASON_MESSAGE


def wanted(reason, prefs, conversation_pref):
    """Whether the person's level lets this reason through. In channels, only a level of "all"
    set on the channel itself makes every message notify; the global "all" means direct and group
    conversations."""
    explicit = conversation_pref is not None and conversation_pref.level != ConversationPreference.FOLLOW
    level = conversation_pref.level if explicit else prefs.level
    if level == Level.NOTHING:
        return False
    if reason == REASON_MESSAGE:
        return level == Level.ALL and explicit
    if reason == REASON_DIRECT:
        return level == Level.ALL
    return True


def muted(prefs, conversation_pref, now):
    for until in (prefs.muted_until, conversation_pref.muted_until if conversation_pref else None):
        if until is not None and until > now:
            return True
    return False


def in_quiet_hours(prefs, at: datetime):
    """Whether `at` falls in the person's do-not-disturb hours, in their time zone."""
    if prefs.dnd_start is None or prefs.dnd_end is None or prefs.dnd_start == prefs.dnd_end:
        return False
    try:
        zone = zoneinfo.ZoneInfo(prefs.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = at.astimezone(zone).time()
    if prefs.dnd_start < prefs.dnd_end:
        return prefs.dnd_start <= local < prefs.dnd_end
    return local >= prefs.dnd_start or local < prefs.dnd_end


def channels_for(reason, prefs, *, quiet):
    """The channels the person chose for this kind of event; quiet hours hold push and SMS (the
    digest is read later anyway). SMS only for direct messages and mentions, to a verified phone."""
    kind = DIRECT if reason in (REASON_DIRECT, REASON_MESSAGE) else MENTION
    chosen = set(prefs.channels.get(kind, []))
    if quiet:
        chosen -= {Channel.PUSH, Channel.SMS}
    if not prefs.phone_verified or reason not in (REASON_DIRECT, REASON_MENTION):
        chosen.discard(Channel.SMS)
    return chosen
