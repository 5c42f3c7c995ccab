"""The browser tests' fixtures: one real server and one Chromium for the whole run, and tabs."""

import os

import pytest
from playwright.sync_api import expect

from chatsite.testing_server import asgi_server, serving_env
from testkit.services import deadline, require_service
from web.tests.browser import ARTIFACTS, AXE, CHROMIUM, CHROMIUM_FLAGS, Tab, accessibility_violations


@pytest.fixture(scope="session")
def ml_models_dir(tmp_path_factory):
    """The model registry's folder, shared by the tests (which train) and the server (which scores)."""
    return tmp_path_factory.mktemp("ml-models")


@pytest.fixture(scope="session")
def base_url(django_db_setup, ml_models_dir):
    require_service("postgres")
    require_service("redis")
    env = serving_env(
        DJANGO_SETTINGS_MODULE="web.tests.e2e_settings",
        WS_RESUME_GRACE="0.3",
        TYPING_MIN_INTERVAL="0.5",  # people here type faster than real ones
        ML_MODELS_DIR=str(ml_models_dir),
        ML_RELOAD_SECONDS="0",  # a model a test trains is the one the server scores with at once
    )
    with asgi_server(env) as url:
        yield url


# Per module, not per session: pytest-django runs the transactional tests of every app last, so a
# session's browser would keep its event loop (and the async guard off) through other apps' tests.
@pytest.fixture(scope="module")
def browser(base_url):
    # Playwright's assertions wait 5 s by default: a loaded machine needs the suite's deadline.
    expect.set_options(timeout=deadline() * 1000)
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which trips Django's guard
    # against blocking ORM calls from async code. Nothing here is async code: the ORM calls of the
    # tests (and pytest-django's flush) run between browser steps. The server process keeps the guard.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    print(f"\nscreenshots: {ARTIFACTS}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def tabs(browser, base_url):
    opened = []

    def make(**kwargs):
        opened.append(Tab(browser, base_url, **kwargs))
        return opened[-1]

    yield make
    for tab in opened:
        assert not tab.errors, tab.errors  # no script error and no CSP violation on any page
        tab.context.close()


@pytest.fixture
def axe():
    """axe-core's serious and critical findings on a page (from npm: `cd web/tests && npm ci`)."""
    if not AXE.exists():
        message = f"{AXE} is missing: cd web/tests && npm ci"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return accessibility_violations
