"""The ML moderation screens of the admin in Chromium, with CSRF checked as in production: the
review queue of held messages (scores, "why held" n-grams shown as text, approve and reject in
bulk) and the model registry (versions, the active one, a rollback that is audited). No page may
raise a script error, a CSP violation or a dialog."""

import pytest
from playwright.sync_api import expect

from chats import actions as chats
from chats.models import HeldMessage
from chatsite.api_errors import ApiError
from ml import actions as ml
from ml import scoring
from ml.models import ModelVersion, RegistryEvent
from ml.registry import loaded
from testkit.ml_data import spam_dataset
from web.tests.browser import PASSWORD, user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Spam made of markup and no word of two letters, so that the n-grams that weigh most toward spam
# are character n-grams of markup: "why held" must show them as text.
MARKUP_SPAM = [f"<b>{a}</b> <i>{b}</i> <u>{c}</u>" for a in "!$%&" for b in "?*+=" for c in "#@~^"]
HELD_MARKUP = "<b>!</b> <i>?</i> <u>$</u> <img src=x onerror=alert(1)>"
HELD_PLAIN = "WIN a FREE laptop! Text CLAIM to 87121 now"
HELD_OTHER = "Claim your free holiday voucher today at www.prizes.example"


@pytest.fixture
def registry(settings, ml_models_dir):
    """This process trains into the folder the server scores from."""
    settings.ML_MODELS_DIR = ml_models_dir
    loaded.forget()
    yield
    loaded.forget()


def train(seed=1):
    data = spam_dataset(400, seed=seed)
    data.add(MARKUP_SPAM, [1] * len(MARKUP_SPAM), {"name": "markup spam (browser test)", "sha256": "-"})
    row, promoted, _ = ml.do_train("spam", data=data)
    assert promoted
    loaded.forget()
    return row


def sign_in_to_admin(tabs, username, path):
    tab = tabs(viewport={"width": 1400, "height": 1000})
    page = tab.page
    # A dialog would mean the sender's markup ran; Playwright would dismiss it silently.
    page.on("dialog", lambda dialog: (tab.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    tab.open(f"/admin/login/?next={path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    return tab


def run_action(page, rows, action):
    for row in rows:
        row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option(action)
    page.get_by_role("button", name="Go").click()


@pytest.fixture
def held(settings, registry):
    """Three sends from a new account, held for review by an active spam model."""
    settings.ML_NEW_SPAM_HOLD, settings.ML_SPAM_REJECT = 0.5, 1.01  # hold, never refuse
    train()
    alice, bob = user("alice"), user("bob")
    group = chats.do_create_conversation(alice, kind="group", title="deals", member_ids=[bob.pk])
    for i, text in enumerate((HELD_MARKUP, HELD_PLAIN, HELD_OTHER)):
        with pytest.raises(ApiError) as answer:
            chats.do_send_message(alice, group.id, text=text, client_id=f"held-{i}")
        assert answer.value.code == "held_for_review"
    # The precondition of the escaping check: markup is among the words that weighed most.
    assert any("<" in gram for gram, _ in scoring.explain(HELD_MARKUP, "spam"))
    return group


def test_the_review_queue_shows_why_as_text_and_approves_and_rejects_in_bulk(tabs, held):
    user("mod", is_staff=True, is_superuser=True)
    tab = sign_in_to_admin(tabs, "mod", "/admin/chats/heldmessage/")
    page = tab.page
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    markup_row = rows.filter(has_text="onerror")
    expect(markup_row.locator("td.field-state")).to_have_text("Pending")
    expect(markup_row.locator("td.field-code")).to_have_text("spam_suspected")
    assert float(markup_row.locator("td.field-spam").inner_text()) >= 0.5
    # The sender's markup and the n-grams cut from it reach the page as text, never as elements.
    expect(markup_row.locator("td.field-short_text")).to_have_text(HELD_MARKUP)
    why = markup_row.locator("td.field-why code")
    expect(why.first).to_be_visible()
    assert any("<" in gram for gram in why.all_inner_texts())
    expect(page.locator("#result_list img, #result_list b")).to_have_count(0)
    tab.shot("ml-review-queue")

    run_action(page, [markup_row, rows.filter(has_text=HELD_PLAIN)], "approve_held")
    expect(page.locator("#content h1")).to_contain_text("Approve the selected held messages")
    page.locator("textarea[name=reason]").fill("a promotion the group asked for")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Approved: 2.")

    run_action(page, [rows.filter(has_text=HELD_OTHER)], "reject_held")
    page.locator("textarea[name=reason]").fill("voucher spam")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Rejected: 1.")
    states = dict(HeldMessage.objects.values_list("text", "state"))
    assert states == {HELD_MARKUP: "approved", HELD_PLAIN: "approved", HELD_OTHER: "rejected"}
    # Decided ones stay listed for the record, newest first.
    expect(rows.locator("td.field-state")).to_have_text(["Rejected", "Approved", "Approved"])


def test_the_registry_lists_versions_and_a_rollback_is_one_audited_action(tabs, registry):
    first, second = train(seed=1), train(seed=2)
    assert ModelVersion.objects.get(pk=first.pk).status == "retired"
    user("boss", is_staff=True, is_superuser=True)
    tab = sign_in_to_admin(tabs, "boss", "/admin/ml/modelversion/")
    page = tab.page
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    v1, v2 = (rows.filter(has=page.locator("td.field-version", has_text=str(v))) for v in (1, 2))
    expect(v2.locator("td.field-status")).to_have_text("Active")
    expect(v1.locator("td.field-status")).to_have_text("Retired")
    expect(v2.locator("td.field-f1")).to_have_text(str(second.metrics["f1"]))
    tab.shot("ml-registry")

    run_action(page, [v1], "make_active")
    expect(page.locator("ul.messagelist")).to_contain_text("spam v1 is active.", ignore_case=True)
    expect(v1.locator("td.field-status")).to_have_text("Active")
    expect(v2.locator("td.field-status")).to_have_text("Retired")
    event = RegistryEvent.objects.get(action=RegistryEvent.Action.ROLLED_BACK)
    assert (event.version, event.previous_version, event.actor.username) == (1, 2, "boss")

    tab.open("/admin/ml/registryevent/")
    audit = page.locator("#result_list tbody tr").filter(has_text="Rolled back")
    expect(audit).to_have_count(1)
    expect(audit.locator("td.field-actor")).to_have_text("boss")
    tab.open(f"/admin/ml/modelversion/{first.pk}/change/")
    expect(page.locator("pre").first).to_contain_text("data_sources")
