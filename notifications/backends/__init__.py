"""The channels' adapters behind one port: `send(notification, device) -> Outcome`.

Each adapter speaks its service's documented protocol (Web Push, FCM v1, APNs, SMTP, Twilio);
NOTIFY_ADAPTERS maps a destination kind to the module, so a deployment (or the benchmark) can
swap one without touching the planner or the delivery task.
"""

from importlib import import_module

from django.conf import settings

from notifications.backends.base import Outcome

__all__ = ["Outcome", "adapter_for"]


def adapter_for(kind):
    """The module that delivers to `kind` (webpush, fcm, apns, sms)."""
    path = settings.NOTIFY_ADAPTERS.get(kind)
    if not path:
        raise LookupError(f"no notification adapter for {kind!r}")
    return import_module(path)
