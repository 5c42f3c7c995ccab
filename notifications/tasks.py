"""Celery tasks of notifications. `deliver` is scheduled by the planner after commit; beat runs
`deliver_due` (pending rows whose task was lost, or that waited for their grace without a broker)
and `send_due_digests` on the schedules seeded by the app's migration."""

import logging

from celery import shared_task

from notifications import delivery, digests
from notifications.models import Channel

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def deliver(self, notification_id):
    try:
        return delivery.deliver(notification_id)
    except delivery.Retry as retry:
        # The row is pending again with its new due time; the task comes back then, and if it is
        # lost, deliver_due finds the row. Run in process (no broker), only deliver_due can wait.
        if self.request.is_eager:
            return "retry later"
        raise self.retry(countdown=retry.after) from None


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=55, time_limit=70)
def deliver_due():
    sent = 0
    for pk in delivery.due_ids([Channel.PUSH, Channel.SMS]):
        try:
            delivery.deliver(pk)
            sent += 1
        except delivery.Retry:
            continue
    return sent


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=110, time_limit=130)
def send_due_digests():
    return digests.send_due()


@shared_task(ignore_result=True, autoretry_for=(delivery.Retry,), retry_backoff=True, max_retries=3)
def send_phone_code(phone, code):
    from notifications.backends import adapter_for

    outcome = adapter_for("sms").text_message(phone, f"Your chatsite code is {code}")
    if outcome.result == "retry":
        raise delivery.Retry(outcome.retry_after)
    return outcome.result
