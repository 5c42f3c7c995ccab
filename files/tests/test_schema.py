"""The files API in /api/schema/: it builds without warnings, validates, and lists every route."""

from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

OURS = [path("api/v1/", include("files.api.urls"))]


def test_the_files_api_schema_builds_without_warnings_and_validates():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        built = SchemaGenerator(patterns=OURS).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert warnings == {}
    validate_schema(built)
    assert {p: set(ops) for p, ops in built["paths"].items()} == {
        "/api/v1/uploads": {"post"},
        "/api/v1/uploads/presign": {"post"},
        "/api/v1/uploads/{upload_id}": {"get", "delete"},
        "/api/v1/uploads/{upload_id}/confirm": {"post"},
        "/api/v1/files/{upload_id}": {"get"},
        "/api/v1/files/{upload_id}/link": {"get"},
        "/api/v1/previews/{preview_id}/image": {"get"},
        "/api/v1/me/avatar": {"put", "delete"},
        "/api/v1/users/{user_id}/avatar": {"get"},
    }
    # Signed links are plain views: their token is the permission, so they are not API operations.
    assert not any("media" in p or "blob" in p for p in built["paths"])
