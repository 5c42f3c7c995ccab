"""The page at / and the Content-Security-Policy: what the browser is given before any script runs."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

from chats import actions
from gateway.protocol import Close
from web.views import client_config

STATIC = Path(__file__).resolve().parent.parent / "static" / "web"


def policy(response):
    """The CSP header as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    return {name: rest for name, *rest in (part.split() for part in header.split(";") if part.strip())}


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.inline_handlers, self.style_attributes = [], [], []
        self.current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.inline_handlers += [name for name in attrs if name.startswith("on")]
        if "style" in attrs:
            self.style_attributes.append(tag)
        if tag == "script":
            self.current = {"attrs": attrs, "body": ""}
            self.scripts.append(self.current)

    def handle_data(self, data):
        if self.current is not None:
            self.current["body"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self.current = None


def parse(html):
    parser = Scripts()
    parser.feed(html)
    return parser


def test_the_client_is_served_at_the_root_with_a_csrf_cookie(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "csrftoken" in response.cookies  # the scripts echo it on REST writes
    assert "no-store" in response["Cache-Control"]
    assert 'type="module"' in response.content.decode()


def test_the_page_forbids_inline_script_and_other_origins(client):
    directives = policy(client.get("/"))
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]


def test_the_page_itself_has_no_inline_script_handler_or_style(client):
    page = parse(client.get("/").content.decode())
    for script in page.scripts:
        # a file, or JSON data (which a browser never runs)
        assert script["attrs"].get("src") or script["attrs"].get("type") == "application/json", script
    assert page.inline_handlers == []
    assert page.style_attributes == []


def test_the_scripts_never_build_html_from_strings():
    sinks = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\"on"
    )
    for path in STATIC.glob("*.js"):
        assert not sinks.search(path.read_text()), path.name


def test_the_client_learns_every_socket_close_code_by_name():
    codes = client_config()["close_codes"]
    assert codes["unauthenticated"] == Close.UNAUTHENTICATED
    assert codes["rate_limited"] == Close.RATE_LIMITED
    # the moderation close code reaches the client without a list of its own in the JS
    assert set(codes.values()) == {v for k, v in vars(Close).items() if k.isupper()}


def test_only_get_and_head_are_answered_at_the_root(client):
    assert client.post("/").status_code == 405
    assert client.head("/").status_code == 200


def test_the_api_admin_and_probes_still_answer_beside_the_client(client):
    assert client.get("/healthz").status_code == 200
    response = client.get("/api/v1/conversations")
    assert response.status_code == 401 and response.json()["error"]["code"]
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/no-such-page").json()["error"]["code"] == "not_found"


def test_the_api_docs_come_from_this_site_with_no_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    page = parse(response.content.decode())
    sources = [script["attrs"].get("src") for script in page.scripts]
    assert sources and all(src and src.startswith("/") and not src.startswith("//") for src in sources)
    for src in sources:
        if src.startswith(settings.STATIC_URL):  # Swagger UI's bundle, shipped by drf-spectacular-sidecar
            assert finders.find(src.removeprefix(settings.STATIC_URL)), src
    start_up = client.get("/api/docs/?script=")
    assert start_up.status_code == 200 and "javascript" in start_up["Content-Type"]


def test_the_static_files_the_page_names_exist(client):
    html = client.get("/").content.decode()
    for name in re.findall(r"/static/web/([\w.]+)", html):
        assert (STATIC / name).exists(), name
    imported = {m for path in STATIC.glob("*.js") for m in re.findall(r'from "\./([\w.]+)"', path.read_text())}
    assert imported and all((STATIC / name).exists() for name in imported)


@pytest.mark.django_db
def test_a_member_can_fetch_one_message_such_as_the_parent_of_a_reply(client):
    User = get_user_model()
    ann, ben, eve = (User.objects.create_user(name, password="pw-long-enough-1") for name in ("ann", "ben", "eve"))
    conversation, _ = actions.do_open_direct(ann, ben)
    message, _ = actions.do_send_message(ann, conversation.id, text="the parent", client_id="p1")
    url = f"/api/v1/conversations/{conversation.id}/messages/{message.id}"
    client.force_login(ben)
    body = client.get(url).json()
    assert body["text"] == "the parent" and body["sender_id"] == ann.pk
    client.force_login(eve)
    assert client.get(url).status_code == 404  # not hers: the same answer as "no such message"
