"""Link previews: the first three links of a message get a card (title, description, site, our own
thumbnail of the page's image) through a task after the send, as a message.previewed event with
its own seq; pages are kept by URL for a TTL; the author can remove the cards."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chats import actions as chat_actions
from files import links, opengraph, previews
from files.backends import get_storage
from files.models import LinkPreview
from testkit import files as samples
from testkit.api import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("previews_on")]


def page(title="Plums", description="All about plums", image=None, extra=""):
    image_tag = f'<meta property="og:image" content="{image}">' if image else ""
    return (
        f'<html><head><meta property="og:title" content="{title}">'
        f'<meta property="og:description" content="{description}">'
        f'<meta property="og:site_name" content="Orchard">{image_tag}{extra}</head><body>x</body></html>'
    )


@pytest.fixture(autouse=True)
def committed(django_capture_on_commit_callbacks):
    """What runs after a send commits (the event handler, then the lookup task) runs in the test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def send(committed):
    def post(client, conversation, text, client_id="c1"):
        with committed():
            response = client.post(
                f"/api/v1/conversations/{conversation.id}/messages",
                {"client_id": client_id, "text": text},
                format="json",
            )
        assert response.status_code == 201, response.content
        return response.json()

    return post


def messages(client, conversation):
    return client.get(f"/api/v1/conversations/{conversation.id}/messages").json()["results"]


def test_the_first_three_links_are_found_without_trailing_punctuation():
    text = "see https://a.example/x. and (http://b.example/y) https://a.example/x https://c.example https://d.example"
    assert links.find_links(text) == ["https://a.example/x", "http://b.example/y", "https://c.example"]
    assert links.find_links("no links, ftp://x.example or javascript:alert(1)") == []


def test_opengraph_twitter_and_title_fallbacks_are_read_as_plain_text():
    html = (
        '<head><title> Plain  title </title><meta name="twitter:description" content="From &lt;twitter&gt;">'
        '<meta name="twitter:image" content="/img.png"></head>'
    )
    assert opengraph.read(html, "https://site.example/page") == {
        "title": "Plain title",
        "description": "From <twitter>",
        "site_name": "",
        "image": "https://site.example/img.png",
    }


def test_a_message_gets_cards_with_a_stored_thumbnail_in_rest_and_in_the_log(
    client_for, alice, bob, group, store, pages, send
):
    pages.html("/plums", page(image="/plum.png"))
    pages.raw("/plum.png", samples.png(size=(800, 400), mode="RGB"), "image/png")
    pages.html("/bare", "<html><head></head><body>nothing to show</body></html>")
    sent = send(client_for(alice), group, f"look {pages.url('/plums')} and {pages.url('/bare')}")

    [card] = messages(client_for(bob), group)[-1]["previews"]
    assert card["url"] == pages.url("/plums")
    assert (card["title"], card["description"], card["site_name"]) == ("Plums", "All about plums", "Orchard")
    assert (card["image_width"], card["image_height"]) == (800, 400)
    events = client_for(bob).get(f"/api/v1/conversations/{group.id}/events?after={sent['seq']}").json()["results"]
    assert [(e["type"], e["seq"], e["message"]["previews"]) for e in events] == [
        ("message.previewed", sent["seq"] + 1, [card])
    ]

    # The image is ours: served from our storage, never hot-linked from the page's site.
    link = client_for(bob).get(card["image"])
    assert link.status_code == 302
    image = client_for(bob).get(link["Location"])
    assert image["Content-Type"] == "image/webp"
    assert b"".join(image.streaming_content)[:4] == b"RIFF"
    assert pages.hits["/plum.png"] == 1


def test_a_page_is_fetched_once_within_the_ttl_and_again_after(client_for, alice, group, pages, settings, send):
    pages.html("/p", page())
    send(client_for(alice), group, pages.url("/p"), client_id="a")
    send(client_for(alice), group, pages.url("/p"), client_id="b")
    assert pages.hits["/p"] == 1
    LinkPreview.objects.update(fetched_at=timezone.now() - timedelta(seconds=settings.LINK_PREVIEW_TTL_SECONDS + 1))
    pages.html("/p", page(title="Plums, revised"))
    send(client_for(alice), group, pages.url("/p"), client_id="c")
    assert pages.hits["/p"] == 2
    assert messages(client_for(alice), group)[-1]["previews"][0]["title"] == "Plums, revised"


def test_pages_on_this_machine_get_no_preview_without_the_test_setting(client_for, alice, group, pages, settings, send):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    pages.html("/inside", page())
    sent = send(client_for(alice), group, f"{pages.url('/inside')} {pages.url('/inside', host='localhost')}")
    assert messages(client_for(alice), group)[-1]["previews"] is None
    assert pages.hits["/inside"] == 0
    assert client_for(alice).get(f"/api/v1/conversations/{group.id}/events?after={sent['seq']}").json()["results"] == []


def test_an_image_that_is_not_a_raster_image_is_not_kept(pages):
    pages.html("/p", page(image="/evil.png"))
    pages.raw("/evil.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/png")
    found = previews.preview_for(pages.url("/p"))
    assert found.found and found.image_key == ""
    assert previews.card(found)["image"] is None


def test_an_image_over_the_cap_is_not_kept(pages, settings):
    settings.LINK_PREVIEW_MAX_BYTES = 10_000
    pages.html("/p", page(image="/big.png"))
    pages.raw("/big.png", samples.png(size=(2000, 2000), mode="RGB") + b"\0" * 20_000, "image/png")
    assert previews.preview_for(pages.url("/p")).image_key == ""


def test_hostile_fields_are_stored_as_text(client_for, alice, group, pages, send):
    hostile = "&lt;img src=x onerror=alert(1)&gt;&quot;"
    pages.html("/h", page(title=hostile, description="<b>bold</b>"))
    send(client_for(alice), group, pages.url("/h"))
    [card] = messages(client_for(alice), group)[-1]["previews"]
    assert card["title"] == '<img src=x onerror=alert(1)>"'  # the client shows it as text (web tests)


def test_the_author_removes_the_cards_and_a_late_lookup_brings_nothing_back(
    client_for, alice, bob, group, store, pages, send, committed
):
    pages.html("/p", page())
    sent = send(client_for(alice), group, pages.url("/p"))
    path = f"/api/v1/conversations/{group.id}/messages/{sent['id']}/previews"
    assert_error(client_for(bob).delete(path), 403, "forbidden")
    with committed():
        removed = client_for(alice).delete(path)
    assert removed.status_code == 200 and removed.json()["previews"] == []
    assert client_for(alice).delete(path).status_code == 200  # twice: nothing changes
    assert chat_actions.do_set_previews(sent["id"], [{"url": "late"}]) is None
    types = [
        e["type"] for e in client_for(bob).get(f"/api/v1/conversations/{group.id}/events?after=0").json()["results"]
    ]
    assert types.count("message.previewed") == 2
    assert messages(client_for(bob), group)[-1]["previews"] == []


def test_non_members_cannot_remove_previews(client_for, alice, carol, group, pages, send):
    pages.html("/p", page())
    sent = send(client_for(alice), group, pages.url("/p"))
    assert_error(client_for(carol).delete(f"/api/v1/conversations/{group.id}/messages/{sent['id']}/previews"), 404)


def test_a_preview_image_that_does_not_exist_is_a_404(client_for, alice):
    import uuid

    assert_error(client_for(alice).get(f"/api/v1/previews/{uuid.uuid4()}/image"), 404, "not_found")


def test_the_stored_thumbnail_is_in_the_configured_storage(pages):
    pages.html("/p", page(image="/i.png"))
    pages.raw("/i.png", samples.png(), "image/png")
    found = previews.preview_for(pages.url("/p"))
    assert get_storage().read(found.image_key)[:4] == b"RIFF"
