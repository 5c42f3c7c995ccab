import logging

from chatsite.log_filters import ClientFaultFilter


def _record(message, level=logging.ERROR):
    try:
        b"\xff".decode()
    except UnicodeDecodeError:
        import sys

        exc_info = sys.exc_info()
    return logging.LogRecord("uvicorn.error", level, __file__, 1, message, None, exc_info)


def test_a_clients_invalid_utf8_is_logged_as_a_client_error_without_a_traceback():
    record = _record("Invalid UTF-8 sequence received from client.")
    assert ClientFaultFilter().filter(record)
    assert record.levelname == "INFO" and record.exc_info is None
    assert "client error" in record.getMessage()


def test_a_real_server_error_stays_an_error_with_its_traceback():
    record = _record("Exception in ASGI application\n")
    assert ClientFaultFilter().filter(record)
    assert record.levelname == "ERROR" and record.exc_info is not None
