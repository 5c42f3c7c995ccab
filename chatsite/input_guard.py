"""Refuses control characters in the URL before any view sees it.

A path value such as a reaction emoji (`.../reactions/%00`) or a query value reaches the ORM as
is: PostgreSQL refuses a NUL with a DataError (a 500) and SQLite stores it. No URL of this site
has a reason to carry a control character, so one check here covers every route, present and
future. Request bodies are covered by chatsite.strict.TextField.
"""

from django.http import JsonResponse

from chatsite.api_errors import error_body
from chatsite.strict import has_control_characters


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = _bad_url_part(request)
        if bad:
            body = error_body("invalid_characters", f"The {bad} contains control characters.", {bad: ["Not allowed."]})
            return JsonResponse(body, status=400)
        return self.get_response(request)


def _bad_url_part(request):
    if has_control_characters(request.path, allow_line_breaks=False):
        return "path"
    for key, values in request.GET.lists():
        if has_control_characters(key, allow_line_breaks=False) or any(
            has_control_characters(value, allow_line_breaks=False) for value in values
        ):
            return "query"
    return None
