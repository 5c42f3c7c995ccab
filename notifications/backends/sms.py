"""SMS through Twilio's Messages API (2010-04-01): POST
{TWILIO_API_BASE}/2010-04-01/Accounts/<sid>/Messages.json, a form with To, From (or
MessagingServiceSid) and Body, with HTTP basic auth (account SID and auth token); 201 is queued.

Written against the documented API rather than the twilio library: one form POST needs nothing
more, and this way it shares the push channels' client (its CA bundle, timeouts, no redirects)."""

from django.conf import settings

from notifications.backends.base import ERROR, Outcome, from_http, network_failure, shared_client

BODY_MAX = 320  # two SMS segments: enough for "title: text", short enough to cost little


def configured():
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM)


def text_message(to, body) -> Outcome:
    """Send one text -> the outcome; what the person reads is `body`, cut to BODY_MAX."""
    if not configured():
        return Outcome(ERROR, None, "SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM)")
    sender = settings.TWILIO_FROM
    form = {"To": to, "Body": body[:BODY_MAX]}
    form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
    url = f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
    try:
        response = shared_client().post(url, data=form, auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN))
    except Exception as exc:  # any failure of the network: tried again later
        return network_failure(exc)
    # Twilio's 4xx (a wrong number, one that answered STOP) are refusals for good; 429 and 5xx retried.
    return from_http(response, gone_statuses=())


def send(notification, device, payload) -> Outcome:
    from notifications.models import Preferences

    phone = (
        Preferences.objects.filter(user_id=notification.user_id, phone_verified=True)
        .values_list("phone", flat=True)
        .first()
    )
    if not phone:
        return Outcome(ERROR, None, "no verified phone number")
    return text_message(phone, f"{payload['title']}: {payload['body']}")
