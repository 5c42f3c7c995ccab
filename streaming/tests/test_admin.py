import pytest
from django.contrib.auth import get_user_model

from streaming.events import emit


@pytest.mark.django_db
def test_staff_see_the_waiting_outbox_in_the_admin_and_cannot_edit_it(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-Long-enough-1")
    client.force_login(admin)
    waiting = emit("moderation.reported", key="conv-1", payload={})

    listing = client.get("/admin/streaming/outboxevent/", {"sent": "no"})
    detail = client.get(f"/admin/streaming/outboxevent/{waiting.pk}/change/")

    assert listing.status_code == 200
    assert "conv-1" in listing.content.decode()
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert client.get("/admin/streaming/outboxevent/add/").status_code == 403
