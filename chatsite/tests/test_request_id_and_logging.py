import json
import logging

from django.test import override_settings

from chatsite.request_id import HEADER, LogContextFilter, request_id_var


def test_a_request_id_is_made_and_returned_when_absent(client):
    response = client.get("/healthz")
    assert len(response[HEADER]) == 32


def test_a_plain_request_id_from_the_caller_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-42.a:b")
    assert response[HEADER] == "edge-42.a:b"


def test_a_hostile_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nInjected: yes")
    assert response[HEADER] != "bad id\nInjected: yes"
    assert len(response[HEADER]) == 32


@override_settings()
def test_json_log_lines_carry_time_level_logger_message_and_request_id():
    from pythonjsonlogger.json import JsonFormatter

    from settings.base import LOGGING

    spec = dict(LOGGING["formatters"]["json"])
    spec.pop("()")
    formatter = JsonFormatter(**spec)
    record = logging.LogRecord("chats.test", logging.INFO, __file__, 1, "sent %s", ("hi",), None)
    token = request_id_var.set("rid-1")
    try:
        LogContextFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(formatter.format(record))
    assert line["level"] == "INFO"
    assert line["logger"] == "chats.test"
    assert line["message"] == "sent hi"
    assert line["request_id"] == "rid-1"
    assert line["user_id"] == "-"
    assert "time" in line


def test_4xx_lines_of_django_request_carry_the_request_id_and_user_id(db):
    from rest_framework.test import APIClient

    from accounts.models import User

    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect()
    handler.addFilter(LogContextFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        user = User.objects.create_user("alice", password="plum-Orchard-42-violet")
        client = APIClient()
        client.force_authenticate(user)
        response = client.get("/api/v1/users/424242", HTTP_X_REQUEST_ID="rid-404")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    [record] = [r for r in records if r.levelno == logging.WARNING]
    assert record.request_id == "rid-404"
    assert record.user_id == user.pk
