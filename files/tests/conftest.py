import pytest

from testkit.pages import PageServer


@pytest.fixture
def pages():
    """A page server on 127.0.0.1, which the outbound rule refuses unless a test allows it."""
    server = PageServer()
    yield server
    server.close()


@pytest.fixture
def previews_on(settings, file_storage):
    """Link previews on, looked up in this process right after the send commits, and loopback
    allowed (the page server is on this machine): what the test setting alone permits."""
    from chatsite.celery import app

    settings.LINK_PREVIEWS = True
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
