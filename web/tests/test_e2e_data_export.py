"""'Export my data' in the profile dialog, in headless Chromium: the button asks for the export,
the dialog shows its progress while it waits for a worker, then offers the zip, which downloads.

No Celery worker runs beside the test server: the test runs the queued task itself, as one would."""

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from portability import tasks
from portability.models import DataExport
from testkit.services import wait_until
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_the_profile_dialog_exports_my_data_shows_progress_and_downloads_the_zip(tabs):
    user("kim", display_name="Kim <b>K</b>")
    kim = tabs().sign_in("kim")
    page = kim.page
    page.locator("#me-button").click()
    page.get_by_role("button", name="Export my data").click()

    expect(page.locator("#data-export-status")).to_have_text("Preparing your data… 0%")
    expect(page.get_by_role("button", name="Export my data")).to_be_disabled()
    export = wait_until(lambda: DataExport.objects.filter(user__username="kim").first(), "the export row")
    tasks.build_data_export(str(export.id))

    link = page.get_by_role("link", name="Download your data (zip)")
    expect(link).to_be_visible()
    expect(page.locator("#data-export-status")).to_contain_text("Ready. The link works until")
    with page.expect_download() as download:
        link.click()
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as z:
        assert json.loads(z.read("profile.json"))["display_name"] == "Kim <b>K</b>"
    assert not kim.errors
