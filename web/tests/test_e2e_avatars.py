"""Profile pictures in the browser client: Alice uploads one from her profile, and Bob, in their
shared conversation, sees it beside her messages without reloading; a refused file says why;
removing it brings the initials back. At desktop and phone width, with axe on the dialog."""

import pytest
from playwright.sync_api import expect

from accounts import actions as accounts_actions
from accounts.models import User
from chats import actions
from testkit import files as samples
from testkit.services import wait_until
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 780}


def open_my_profile(tab):
    tab.page.locator("#me-button").click()
    dialog = tab.page.get_by_role("dialog", name="Profile")
    expect(dialog.locator("#profile-form")).to_be_visible()
    return dialog


def loaded(tab, img):
    tab.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_alice_uploads_a_picture_and_bob_sees_it_live_beside_her_messages(tabs, tmp_path, axe, viewport):
    alice, bob = user("alice"), user("bob")
    conversation, _ = actions.do_open_direct(alice, bob)
    actions.do_send_message(alice, conversation.id, text="hello bob", client_id="av-1")
    b = tabs(viewport=viewport).sign_in("bob")
    b.open_conversation("alice")
    expect(b.message("hello bob").locator(".avatar")).to_have_text("AL")
    expect(b.message("hello bob").locator(".avatar img")).to_have_count(0)

    a = tabs(viewport=viewport).sign_in("alice")
    dialog = open_my_profile(a)
    assert axe(a.page) == []
    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_bytes(b"these are words, not pixels\n")
    dialog.get_by_label("Upload picture").set_input_files(str(not_a_picture))
    expect(dialog.locator("#picture-error")).to_contain_text("notes.png was not used")
    expect(dialog.get_by_role("button", name="Remove picture")).to_be_hidden()

    photo = tmp_path / "me.jpg"
    photo.write_bytes(samples.jpeg_with_gps((400, 300)))
    dialog.get_by_label("Upload picture").set_input_files(str(photo))
    expect(dialog.locator("#picture-status")).to_have_text("Your picture is updated.")
    expect(dialog.locator("#picture-error")).to_have_text("")
    preview = dialog.locator("#profile-picture img")
    loaded(a, preview)
    expect(preview).to_have_attribute("alt", "")
    assert axe(a.page) == []
    a.shot(f"avatar-profile-{'phone' if viewport else 'desktop'}")

    # Bob did nothing: the socket said Alice's profile changed.
    picture = b.message("hello bob").locator(".avatar img")
    expect(picture).to_have_attribute("src", f"/api/v1/users/{alice.pk}/avatar?v={_version(alice)}&size=64")
    expect(picture).to_have_attribute("loading", "lazy")
    loaded(b, picture)
    b.shot(f"avatar-seen-{'phone' if viewport else 'desktop'}")

    dialog.get_by_role("button", name="Remove picture").click()
    expect(dialog.locator("#picture-status")).to_have_text("Your picture is removed.")
    expect(dialog.get_by_label("Upload picture")).to_be_focused()
    expect(b.message("hello bob").locator(".avatar img")).to_have_count(0)
    expect(b.message("hello bob").locator(".avatar")).to_have_text("AL")


def test_a_picture_that_fails_to_load_falls_back_to_initials(tabs, tmp_path):
    carl, dina = user("carl"), user("dina")
    conversation, _ = actions.do_open_direct(carl, dina)
    actions.do_send_message(carl, conversation.id, text="hi dina", client_id="av-2")
    c = tabs().sign_in("carl")
    photo = tmp_path / "me.png"
    photo.write_bytes(samples.png((120, 120), mode="RGB"))
    open_my_profile(c).get_by_label("Upload picture").set_input_files(str(photo))
    expect(c.page.locator("#picture-status")).to_have_text("Your picture is updated.")

    d = tabs()
    d.page.route("**/avatar?*", lambda route: route.abort())  # the picture cannot be fetched
    d.sign_in("dina")
    d.open_conversation("carl")
    avatar = d.message("hi dina").locator(".avatar")
    expect(avatar.locator("img")).to_have_count(0)
    expect(avatar).to_have_text("CA")
    expect(avatar).to_be_visible()


def test_a_rename_reaches_the_other_persons_sidebar_row_and_header_without_a_reload(tabs):
    ella, finn = user("ella"), user("finn")
    conversation, _ = actions.do_open_direct(ella, finn)
    actions.do_send_message(ella, conversation.id, text="hi finn", client_id="av-3")
    f = tabs().sign_in("finn")
    row = f.conversation("ella")
    expect(row.locator(".avatar")).to_have_text("EL")

    e = tabs().sign_in("ella")
    dialog = open_my_profile(e)
    dialog.get_by_label("Display name").fill("Ella Stone")
    dialog.get_by_role("button", name="Save profile").click()

    # Finn did nothing: the socket said Ella's profile changed, and the row names her anew.
    renamed = f.conversation("Ella Stone")
    expect(renamed.locator(".avatar")).to_have_text("ES")
    expect(renamed.locator(".last")).to_have_text("hi finn")
    f.open_conversation("Ella Stone")
    expect(f.page.locator("#pane-title")).to_have_text("Ella Stone")


def _version(person):
    person.refresh_from_db()
    return person.avatar_version


def test_a_rename_made_while_the_socket_was_down_shows_once_it_is_back(tabs):
    # The socket's word on a profile is a hint that nothing replays: a page that was offline when it
    # went out must read the names again when it reconnects, or it shows the old one until a reload.
    ella, finn = user("ella"), user("finn")
    direct, _ = actions.do_open_direct(ella, finn)
    crew = actions.do_create_conversation(finn, kind="group", title="Crew", member_ids=[ella.pk])
    actions.do_send_message(ella, direct.id, text="hi finn", client_id="down-1")
    actions.do_send_message(ella, crew.id, text="hi crew", client_id="down-2")
    f = tabs()
    link = {"down": False, "sockets": []}

    def route(ws):
        if link["down"]:
            ws.close()  # the network is out: every attempt fails until it is back
            return
        link["sockets"].append((ws, ws.connect_to_server()))

    f.page.route_web_socket("**/ws/v1/", route)
    f.sign_in("finn")
    f.open_conversation("Crew")
    expect(f.message("hi crew").locator(".sender")).to_have_text("ella")

    link["down"] = True
    page_side, server_side = link["sockets"][-1]
    server_side.close()
    page_side.close()
    expect(f.page.locator("#connection")).not_to_have_attribute("data-state", "online")
    accounts_actions.do_update_profile(ella, {"display_name": "Ella Stone"})
    link["down"] = False

    expect(f.page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(f.conversation("Ella Stone").locator(".last")).to_have_text("hi finn")
    expect(f.message("hi crew").locator(".sender")).to_have_text("Ella Stone")


def test_the_profile_fields_wait_for_the_saved_values_so_nothing_typed_meanwhile_is_overwritten(tabs):
    user("gus", display_name="Gus Grey", status_text="on call")
    g = tabs().sign_in("gus")
    page = g.page
    held = []
    page.route("**/api/v1/me", lambda route: held.append(route) if route.request.method == "GET" else route.continue_())
    page.locator("#me-button").click()
    dialog = page.get_by_role("dialog", name="Profile")
    wait_until(lambda: page.evaluate("true") and held, "the dialog's load of the profile, held")
    # Typing now would be lost when the saved values arrive: the fields do not take it yet.
    expect(dialog.get_by_label("Display name")).to_be_disabled()
    expect(dialog.get_by_role("button", name="Save profile")).to_be_disabled()

    held[0].continue_()
    page.unroute("**/api/v1/me")
    expect(dialog.get_by_label("Display name")).to_have_value("Gus Grey")
    expect(dialog.get_by_label("Status")).to_have_value("on call")
    dialog.get_by_label("Display name").fill("Gus Green")
    dialog.get_by_role("button", name="Save profile").click()
    expect(page.locator("#me-button")).to_have_text("Gus Green")
    assert User.objects.get(username="gus").display_name == "Gus Green"
    assert User.objects.get(username="gus").status_text == "on call"
