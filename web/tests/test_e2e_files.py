"""Files and link previews in the browser client: images seen live by the other side, opened in a
viewer, downloaded; and file names and OpenGraph fields that try to be HTML stay text."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from chats import actions
from files import actions as file_actions
from testkit import files as samples
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

HOSTILE = '<img src=x onerror="window.pwned=1">'
PHONE = {"width": 390, "height": 780}


def upload(owner, data, name):
    return file_actions.do_upload(owner, SimpleUploadedFile(name, data), name)


def test_the_other_side_sees_an_image_live_opens_it_and_downloads_it(tabs):
    ann, ben = user("ann"), user("ben")
    conversation, _ = actions.do_open_direct(ann, ben)
    b = tabs().sign_in("ben")
    b.open_conversation("ann")

    photo = upload(ann, samples.png(size=(300, 200), mode="RGB"), "garden.png")
    actions.do_send_message(ann, conversation.id, text="the garden", client_id="img-1", attachment_ids=[str(photo.id)])
    thumb = b.message("the garden").locator(".image-thumb img")
    expect(thumb).to_have_attribute("alt", "garden.png")
    b.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())

    thumb.click()
    viewer = b.page.get_by_role("dialog", name="Image viewer")
    expect(viewer.locator(".viewer-caption")).to_have_text("garden.png")
    download = b.page.request.get(b.base_url + viewer.locator(".viewer-download").get_attribute("href"))
    assert download.ok and download.headers["content-type"] == "image/png"
    assert download.body()[:8] == b"\x89PNG\r\n\x1a\n"
    b.page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)


def test_hostile_file_names_and_preview_fields_are_shown_as_text(tabs):
    cat, dan = user("cat"), user("dan")
    conversation, _ = actions.do_open_direct(cat, dan)
    doc = upload(cat, b"just text", f"{HOSTILE}.txt")
    message, _ = actions.do_send_message(
        cat, conversation.id, text="see https://example.com", client_id="h-1", attachment_ids=[str(doc.id)]
    )
    card = {
        "url": "https://example.com",
        "title": HOSTILE,
        "description": "<script>window.pwned=2</script>",
        "site_name": "<b>site</b>",
        "image": "https://evil.example/track.png",  # not ours: never loaded
    }
    actions.do_set_previews(message.id, [card])

    for tab in (tabs().sign_in("dan"), tabs(viewport=PHONE).sign_in("dan")):
        tab.open_conversation("cat")
        item = tab.message("see https://example.com")
        expect(item.locator(".file-name")).to_contain_text("img src=x")
        expect(item.locator(".link-title")).to_have_text(HOSTILE)
        expect(item.locator(".link-description")).to_have_text(card["description"])
        expect(item.locator(".link-site")).to_have_text("<b>site</b>")
        assert item.locator(".extras img, .extras script, .extras b").count() == 0
        assert tab.page.evaluate("window.pwned") is None


def test_the_author_removes_the_link_previews(tabs):
    eva, fin = user("eva"), user("fin")
    conversation, _ = actions.do_open_direct(eva, fin)
    message, _ = actions.do_send_message(eva, conversation.id, text="https://example.org", client_id="p-1")
    actions.do_set_previews(message.id, [{"url": "https://example.org", "title": "Example"}])
    e, f = tabs().sign_in("eva"), tabs().sign_in("fin")
    e.open_conversation("fin")
    f.open_conversation("eva")
    expect(f.message("https://example.org").locator(".link-title")).to_have_text("Example")
    expect(f.message("https://example.org").locator(".link-remove")).to_have_count(0)  # not theirs

    e.message("https://example.org").get_by_role("button", name="Remove link previews").click()
    expect(e.message("https://example.org").locator(".link-card")).to_have_count(0)
    expect(f.message("https://example.org").locator(".link-card")).to_have_count(0)


def test_a_file_chosen_with_the_attach_button_reaches_the_other_side_and_a_refused_one_says_why(tabs):
    gus, hal = user("gus"), user("hal")
    actions.do_open_direct(gus, hal)
    g, h = tabs().sign_in("gus"), tabs().sign_in("hal")
    g.open_conversation("hal")
    h.open_conversation("gus")

    with g.page.expect_file_chooser() as chooser:
        g.page.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(
        [{"name": "dot.png", "mimeType": "text/plain", "buffer": samples.png()}]  # the bytes decide, not the type
    )
    thumb = h.page.locator("#message-list .image-thumb img")
    expect(thumb).to_have_attribute("alt", "dot.png")
    expect(g.page.locator("#upload-list .upload")).to_have_count(0)

    with g.page.expect_file_chooser() as chooser:
        g.page.get_by_role("button", name="Attach files").click()
    html = b"<!doctype html><script>1</script>"
    chooser.value.set_files([{"name": "page.html", "mimeType": "text/plain", "buffer": html}])
    expect(g.page.locator(".upload-error")).to_contain_text("page.html was not sent: Files of this type (text/html)")
