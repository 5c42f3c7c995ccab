"""Under ASGI a request's middleware run in one thread: the request crosses between the event loop
and a thread a fixed few times, not once for each hook of each middleware."""

import pytest
from asgiref.sync import SyncToAsync
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def crossings(monkeypatch):
    """Counts each hand-over of sync work from the event loop to a thread."""
    seen = []
    real = SyncToAsync.__call__

    def counted(self, *args, **kwargs):
        seen.append(getattr(self.func, "__qualname__", repr(self.func)))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return seen


async def test_an_api_request_runs_its_middleware_hooks_without_crossing_to_a_thread_for_each(crossings):
    response = await AsyncClient().get("/api/v1/me")
    assert response.status_code == 401  # the whole chain ran: authentication answered
    hooks = [name for name in crossings if name.endswith((".process_request", ".process_response"))]
    # Without the sync chain, each of those was a crossing of its own: 21 in all for this request.
    assert hooks == [], hooks
    # What is left is Django's own async handler: its signals, the chain, process_view, the view,
    # rendering, the log line of a 4xx, and closing.
    assert len(crossings) <= 7, crossings


async def test_a_request_that_carries_control_characters_is_still_refused_by_the_chain(crossings):
    response = await AsyncClient().get("/api/v1/me?q=%00")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_characters"
