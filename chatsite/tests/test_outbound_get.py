"""chatsite.outbound.get, the fetch behind link previews: every URL it reaches, the first and each
redirect's, passes the one SSRF rule; loopback only where OUTBOUND_ALLOWED_NETWORKS says so."""

import socket

import httpx
import pytest

from chatsite import outbound
from testkit.pages import PageServer

HTML = ("text/html",)


@pytest.fixture
def pages():
    server = PageServer("127.0.0.1")
    yield server
    server.close()


@pytest.fixture
def other_pages():
    """A server on 127.0.0.2 (still this machine): allowed alone, it stands for a public site."""
    server = PageServer("127.0.0.2")
    yield server
    server.close()


def test_a_page_on_an_allowed_network_is_fetched(settings, pages):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    pages.html("/a", "<title>hi</title>")
    answer = outbound.get(pages.url("/a"), accept=HTML)
    assert (answer.status, answer.body, answer.url) == (200, b"<title>hi</title>", pages.url("/a"))


def test_loopback_is_refused_without_the_test_setting(settings, pages):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    pages.html("/a", "<title>inside</title>")
    for url in (pages.url("/a"), pages.url("/a", host="localhost"), pages.url("/a", host="[::ffff:127.0.0.1]")):
        with pytest.raises(outbound.UnsafeURL):
            outbound.get(url, accept=HTML)
    assert pages.hits["/a"] == 0


@pytest.mark.parametrize("target_host", ["127.0.0.1", "localhost"])
def test_a_redirect_into_this_machine_is_refused(settings, pages, other_pages, target_host):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    pages.html("/secret", "<title>metadata</title>")
    other_pages.redirect("/go", pages.url("/secret", host=target_host))
    with pytest.raises(outbound.UnsafeURL, match="private or local"):
        outbound.get(other_pages.url("/go"), accept=HTML)
    assert other_pages.hits["/go"] == 1 and pages.hits["/secret"] == 0


def test_redirects_are_followed_up_to_three(settings, pages):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    pages.html("/end", "<title>end</title>")
    for n in range(4):
        pages.redirect(f"/r{n}", f"/r{n + 1}" if n < 3 else "/end")
    assert outbound.get(pages.url("/r1"), accept=HTML).url == pages.url("/end")
    with pytest.raises(outbound.Refused, match="redirects"):
        outbound.get(pages.url("/r0"), accept=HTML)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/", "javascript:1"])
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(outbound.UnsafeURL):
        outbound.get(url, accept=HTML)


def test_a_redirect_to_another_scheme_is_refused(settings, pages):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    pages.redirect("/go", "file:///etc/passwd")
    with pytest.raises(outbound.UnsafeURL):
        outbound.get(pages.url("/go"), accept=HTML)


def test_an_answer_of_another_type_is_refused(settings, pages):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    pages.raw("/file.zip", b"PK\x03\x04" + b"\0" * 100, "application/zip")
    with pytest.raises(outbound.Refused, match="application/zip"):
        outbound.get(pages.url("/file.zip"), accept=HTML)


def test_a_page_is_cut_at_the_cap_and_a_whole_answer_over_it_is_refused(settings, pages):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    pages.html("/big", "<title>big</title>" + "x" * 5000)
    assert len(outbound.get(pages.url("/big"), accept=HTML, max_bytes=1000).body) == 1000
    with pytest.raises(outbound.Refused, match="over"):
        outbound.get(pages.url("/big"), accept=HTML, max_bytes=1000, whole=True)


def test_a_silent_server_times_out(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    # It accepts the connection and never answers: the timeout is all there is to wait for.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(httpx.TimeoutException):
            outbound.get(f"http://127.0.0.1:{silent.getsockname()[1]}/", accept=HTML, timeout=0.5)
