"""Celery tasks of integrations."""

from celery import shared_task

from integrations import outgoing


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None, soft_time_limit=60, time_limit=90)
def deliver_webhook(self, delivery_id):
    """One try of an outgoing webhook's delivery; a failure worth retrying comes back later, after
    OUTGOING_WEBHOOK_RETRY_BACKOFF doubling per try. How many tries: outgoing.attempt counts them."""
    if outgoing.attempt(delivery_id) == outgoing.RETRY:
        attempts = outgoing.Delivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first() or 1
        raise self.retry(countdown=outgoing.backoff(attempts))
    return None
