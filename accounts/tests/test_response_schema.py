"""Answers match the OpenAPI schema, formats included: an unset email or avatar_url is null (and
the schema says nullable), never "" under `format: email` or `format: uri`."""

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator, FormatChecker

pytestmark = pytest.mark.django_db


def _django_format(validator):
    def check(value):
        if not isinstance(value, str):
            return True
        try:
            validator(value)
        except ValidationError:
            return False
        return True

    return check


FORMATS = FormatChecker()
FORMATS.checks("email")(_django_format(EmailValidator()))
FORMATS.checks("uri")(_django_format(URLValidator()))


def as_json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's `type: [..., "null"]`."""
    if isinstance(node, dict):
        out = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
        if node.get("nullable") and "type" in node:
            out["type"] = [node["type"], "null"]
        elif node.get("nullable") and "allOf" in node:
            out = {"anyOf": [{"allOf": out.pop("allOf")}, {"type": "null"}], **out}
        return out
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    return node


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def validator_for(openapi, path, method, status):
    schema = openapi["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    root = as_json_schema({**schema, "components": openapi["components"]})
    return Draft202012Validator(root, format_checker=FORMATS)


@pytest.mark.parametrize("fields", [{}, {"email": "a@example.com", "avatar_url": "https://cdn.example.com/a.png"}])
def test_me_and_public_profiles_match_the_schema_with_and_without_email_and_avatar(
    openapi, make_user, api_client, fields
):
    alice = make_user("alice", **fields)
    bob = make_user("bob", **fields)
    api_client.force_authenticate(alice)
    me = api_client.get("/api/v1/me").json()
    validator_for(openapi, "/api/v1/me", "get", 200).validate(me)
    profile = api_client.get(f"/api/v1/users/{bob.pk}").json()
    validator_for(openapi, "/api/v1/users/{user_id}", "get", 200).validate(profile)
    if not fields:
        assert me["email"] is None and me["avatar_url"] is None and profile["avatar_url"] is None


def test_the_schema_says_email_and_avatar_url_may_be_null(openapi):
    schemas = openapi["components"]["schemas"]
    assert schemas["Me"]["properties"]["email"]["nullable"] is True
    assert schemas["Me"]["properties"]["avatar_url"]["nullable"] is True
    assert schemas["PublicProfile"]["properties"]["avatar_url"]["nullable"] is True
    # A path on this site for an uploaded picture, a full URL for one set by address.
    assert schemas["PublicProfile"]["properties"]["avatar_url"]["format"] == "uri-reference"
