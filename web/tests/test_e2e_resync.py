"""The client when its resume reaches the server after the grace: the server has gone live without it
and answers with a `resync` frame for every conversation whose news the resume's seqs did not
cover, all at once, before its answer. One load of the conversation list serves the whole burst
(an account in a thousand conversations must not load its list a thousand times), and what it
shows is right, down to the name of a sender whose profile the page had not loaded yet."""

import json

import pytest
from playwright.sync_api import expect

from chats import actions
from chats.backends import get_store
from testkit.services import wait_until
from web.tests.browser import PASSWORD, user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOMS = 12


def test_a_late_resume_answered_by_a_burst_of_resyncs_loads_the_conversation_list_once(tabs):
    zoe, yan = user("zoe"), user("yan")
    rooms = [
        actions.do_create_conversation(yan, kind="group", title=f"Room {i:02}", member_ids=[zoe.pk])
        for i in range(ROOMS)
    ]
    z = tabs()
    page = z.page
    held, server, delivered, opened = [], {}, [], []

    def route(ws):
        # Between the page and the server: the page's first `resume` waits here until released, and
        # what the server sends is noted on its way to the page.
        opened.append(ws)
        server["socket"] = ws.connect_to_server()

        def from_server(frame):
            delivered.append(str(frame))
            ws.send(frame)

        server["socket"].on_message(from_server)

        def from_page(frame):
            if not held and '"resume"' in str(frame):
                held.append(frame)
            else:
                server["socket"].send(frame)

        ws.on_message(from_page)

    page.route_web_socket("**/ws/v1/", route)
    list_loads = []
    page.on(
        "request",
        lambda r: list_loads.append(r.url) if r.method == "GET" and r.url.endswith("/api/v1/conversations") else None,
    )
    z.open()
    page.get_by_label("Username").first.fill("zoe")
    page.locator("#login-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Each predicate calls into the page, so that the route's handlers run while it waits.
    wait_until(lambda: page.evaluate("true") and held, "the page's resume, held back")
    loads_before = len(list_loads)

    # News in every room while the resume waits: past the grace the server sends it live. The page
    # gives a resume REQUEST_TIMEOUT (15 s) before it drops the socket, so only this is done meanwhile.
    for i, room in enumerate(rooms):
        actions.do_send_message(yan, room.id, text=f"news {i:02}", client_id=f"rs-{i}")
    last = f"news {ROOMS - 1:02}"
    wait_until(lambda: page.evaluate("true") and any(last in f for f in delivered), "the news sent live")

    # The resume arrives now, with the seqs the page had before that news: a resync for every room.
    server["socket"].send(held[0])
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    wait_until(lambda: page.evaluate("true") and len(list_loads) > loads_before, "the list loaded again")
    z.open_conversation("Room 07")
    expect(z.message("news 07")).to_be_visible()
    assert len(list_loads) - loads_before == 1, list_loads[loads_before:]
    assert len(opened) == 1, "the page kept its one socket throughout"
    for i in (0, 7, ROOMS - 1):
        expect(z.conversation(f"Room {i:02}").locator(".last")).to_have_text(f"yan: news {i:02}")
    expect(z.conversation("Room 00")).to_have_class("conversation unread")


def test_a_message_that_a_list_load_brought_before_its_frame_still_reaches_the_open_conversation(tabs):
    zoe, yan = user("zoe"), user("yan")
    room = actions.do_create_conversation(yan, kind="group", title="Room", member_ids=[zoe.pk])
    side = actions.do_create_conversation(yan, kind="group", title="Side", member_ids=[zoe.pk])
    actions.do_send_message(yan, room.id, text="hello", client_id="ov-0")
    z = tabs()
    page = z.page
    held, server = [], {}

    def route(ws):
        # Frames from the server that carry the held text wait here until released.
        server["page"], server["socket"] = ws, ws.connect_to_server()

        def from_server(frame):
            if "overtaken" in str(frame) and not server.get("released"):
                held.append(frame)
            else:
                ws.send(frame)

        server["socket"].on_message(from_server)
        ws.on_message(lambda frame: server["socket"].send(frame))

    page.route_web_socket("**/ws/v1/", route)
    list_loads = []
    page.on(
        "request",
        lambda r: list_loads.append(r.url) if r.method == "GET" and r.url.endswith("/api/v1/conversations") else None,
    )
    z.sign_in("zoe")
    z.open_conversation("Room")
    expect(z.message("hello")).to_be_visible()

    actions.do_send_message(yan, room.id, text="overtaken", client_id="ov-1")
    actions.do_send_message(yan, side.id, text="overtaken aside", client_id="ov-2")
    wait_until(lambda: page.evaluate("true") and len(held) == 2, "the messages' frames, held back")
    # Meanwhile the list is loaded (here because a new conversation came), and it already has the message.
    loads_before = len(list_loads)
    actions.do_create_conversation(yan, kind="group", title="Other", member_ids=[zoe.pk])
    wait_until(lambda: page.evaluate("true") and len(list_loads) > loads_before, "the list loaded again")
    expect(z.conversation("Room").locator(".last")).to_have_text("yan: overtaken")
    expect(z.conversation("Side").locator(".badge")).to_have_text("1")

    # The frames arrive now, after the list that covered their messages: the other room's first, so
    # that it has been applied once the open room's message shows.
    server["released"] = True
    for frame in reversed(held):
        server["page"].send(frame)
    expect(z.message("overtaken")).to_be_visible()
    assert z.texts() == ["hello", "overtaken"]
    # The other room's frame counted nothing that the list had counted already.
    expect(z.conversation("Side").locator(".badge")).to_have_text("1")
    expect(z.conversation("Side").locator(".last")).to_have_text("yan: overtaken aside")


def test_a_page_resumes_each_conversation_from_the_latest_event_of_the_list_so_nothing_is_replayed(tabs):
    zoe, yan = user("zoe"), user("yan")
    # Conversations without a message still have events (the joins): the last message's seq is 0.
    quiet = [
        actions.do_create_conversation(yan, kind="group", title=f"Quiet {i}", member_ids=[zoe.pk]) for i in range(3)
    ]
    z = tabs()
    page = z.page
    resumes, replayed = [], []

    def route(ws):
        server = ws.connect_to_server()

        def from_server(frame):
            if '"member.joined"' in str(frame):
                replayed.append(frame)
            ws.send(frame)

        def from_page(frame):
            if '"resume"' in str(frame):
                resumes.append(json.loads(frame))
            server.send(frame)

        server.on_message(from_server)
        ws.on_message(from_page)

    page.route_web_socket("**/ws/v1/", route)
    z.sign_in("zoe")
    wait_until(lambda: page.evaluate("true") and resumes, "the page's resume")
    store = get_store()
    latest = {str(c.id): store.latest_seq(c.id) for c in quiet}
    assert all(seq > 0 for seq in latest.values())
    assert resumes[0]["conversations"] == latest

    # A message in each room, after the resume: each arrives, and no join came before it.
    for i, room in enumerate(quiet):
        actions.do_send_message(yan, room.id, text=f"ping {i}", client_id=f"q-{i}")
    for i in range(3):
        expect(z.conversation(f"Quiet {i}").locator(".last")).to_have_text(f"yan: ping {i}")
    assert replayed == []
