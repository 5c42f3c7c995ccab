"""Input that every endpoint shares: nesting depth, control characters, 64-bit ids."""

import json
import logging
import uuid

import pytest
from django.test import override_settings
from rest_framework import serializers

from accounts.models import User
from chatsite import strict
from chatsite.strict import IdConverter, IdField, TextField, TooDeep, check_depth, check_text_depth


def assert_error(response, status_code, code):
    assert response.status_code == status_code, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password="plum-Orchard-42-violet")


# --- nesting depth ---

DEEP_BODIES = {
    "objects": '{"a":' * 1000 + "1" + "}" * 1000,
    "arrays": "[" * 5000 + "]" * 5000,
    "unclosed": "[" * 5000,
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(DEEP_BODIES))
@pytest.mark.parametrize("url", ["/api/v1/auth/login", "/api/v1/auth/register"])
def test_deeply_nested_json_is_400_too_deep_without_logging_it_as_an_error(client, caplog, kind, url):
    with caplog.at_level(logging.WARNING):
        response = client.post(url, DEEP_BODIES[kind], content_type="application/json")
    assert_error(response, 400, "too_deep")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("kind", list(DEEP_BODIES))
def test_deeply_nested_json_is_refused_on_authenticated_endpoints_too(alice, kind):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(alice)
    response = client.post("/api/v1/conversations", DEEP_BODIES[kind], content_type="application/json")
    assert_error(response, 400, "too_deep")


@override_settings(JSON_MAX_DEPTH=4)
def test_the_depth_limit_is_a_setting(alice):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(alice)
    deep = {"bio": [[[["x"]]]]}  # depth 5
    assert_error(client.patch("/api/v1/me", deep, format="json"), 400, "too_deep")
    shallow = {"bio": [[["x"]]]}  # depth 4: parsed, then refused as a wrong type
    assert_error(client.patch("/api/v1/me", shallow, format="json"), 400, "invalid")


def test_check_depth_counts_containers_and_never_recurses():
    check_depth({"a": [1, {"b": []}]}, limit=4)
    with pytest.raises(TooDeep):
        check_depth({"a": [1, {"b": []}]}, limit=3)
    value = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(TooDeep):
        check_depth(value, limit=32)
    check_depth("[[[[[[", limit=1)  # a string is a scalar


def test_check_text_depth_ignores_brackets_inside_strings():
    text = json.dumps({"text": "[" * 500 + "{" * 500 + '\\"' + "[" * 10})
    check_text_depth(text, limit=2)
    with pytest.raises(TooDeep):
        check_text_depth("[" * 33 + "]" * 33, limit=32)
    check_text_depth("[" * 32 + "]" * 32, limit=32)
    check_text_depth(b'[["a"]]', limit=2)


def test_loads_refuses_before_parsing():
    with pytest.raises(TooDeep):
        strict.loads("[" * 100_000, limit=32)
    assert strict.loads('{"type": "ping", "id": 1}') == {"type": "ping", "id": 1}


# --- control characters ---


@pytest.mark.django_db
@pytest.mark.parametrize("char", ["%00", "%01", "%1B", "%7F", "%C2%85"])
def test_control_characters_in_a_path_value_are_400(alice, char):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(alice)
    conv, msg = uuid.uuid4(), uuid.uuid4()
    url = f"/api/v1/conversations/{conv}/messages/{msg}/reactions/{char}"
    assert_error(client.put(url), 400, "invalid_characters")
    assert_error(client.get(f"/api/v1/users/1{char}"), 400, "invalid_characters")


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["q=%00", "q=a%01b", "q%00=a", "q=%0A"])
def test_control_characters_in_the_query_string_are_400(alice, query):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(alice)
    assert_error(client.get(f"/api/v1/users?{query}"), 400, "invalid_characters")


def test_text_fields_refuse_control_characters_but_keep_line_breaks_unless_single_line():
    class Body(strict.StrictSerializer):
        text = TextField(trim_whitespace=False)
        title = TextField(single_line=True, required=False)

    assert strict.parse(Body, {"text": "line one\nline two\ttab\r\n"})["text"] == "line one\nline two\ttab\r\n"
    for bad in ["a\x00b", "\x1b[31mred", "del\x7f", "c1\x9b"]:
        with pytest.raises(serializers.ValidationError):
            strict.parse(Body, {"text": bad})
    with pytest.raises(serializers.ValidationError):
        strict.parse(Body, {"text": "ok", "title": "two\nlines"})


@pytest.mark.django_db
def test_control_characters_in_a_text_field_are_400(alice):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(alice)
    error = assert_error(client.patch("/api/v1/me", {"status_text": "\x1b[2Jgone"}, format="json"), 400, "invalid")
    assert "status_text" in error["fields"]


# --- ids ---


def test_id_field_takes_1_to_2_63_minus_1():
    class Body(strict.StrictSerializer):
        user_id = IdField()
        member_ids = serializers.ListField(child=IdField(), required=False)

    assert strict.parse(Body, {"user_id": 2**63 - 1})["user_id"] == 2**63 - 1
    for bad in [0, -1, 2**63, 99999999999999999999, 1.5, "x", True, None]:
        with pytest.raises(serializers.ValidationError):
            strict.parse(Body, {"user_id": bad})
    with pytest.raises(serializers.ValidationError):
        strict.parse(Body, {"user_id": 1, "member_ids": [99999999999999999999]})


def test_id_converter_matches_only_64_bit_ids():
    converter = IdConverter()
    assert converter.to_python("9223372036854775807") == 2**63 - 1
    for bad in ["0", "9223372036854775808", "9999999999999999999"]:
        with pytest.raises(ValueError):
            converter.to_python(bad)


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", ["9223372036854775807", "9223372036854775808", "99999999999999999999"])
def test_huge_user_ids_in_urls_are_404(alice, user_id):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(alice)
    assert_error(client.get(f"/api/v1/users/{user_id}"), 404, "not_found")


# --- visible text ---


def test_invisible_characters_are_named():
    assert strict.invisible_characters("a\u202eb\u200bc") == ["U+202E", "U+200B"]
    assert strict.invisible_characters("👩\u200d💻") == []
    assert strict.invisible_characters("a\u200db") == ["U+200D"]


@pytest.mark.django_db
def test_a_lone_surrogate_in_a_json_body_is_a_clean_400(client_for, alice, group):
    body = '{"client_id": "s1", "text": "bad \\ud800 text"}'
    response = client_for(alice).post(
        f"/api/v1/conversations/{group.id}/messages", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"]
