"""Log records that describe a client's fault, not the server's, told as such."""

import logging

# What uvicorn logs, with a traceback at ERROR, when a client sends a text frame that is not UTF-8.
# The socket is closed with 1007 as it should be; nothing on the server failed.
CLIENT_FAULTS = ("Invalid UTF-8 sequence received from client",)


class ClientFaultFilter(logging.Filter):
    def filter(self, record):
        if record.levelno >= logging.ERROR and str(record.msg).startswith(CLIENT_FAULTS):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
            record.msg = f"client error: {record.msg} (closed with 1007)"
        return True


def install():
    logging.getLogger("uvicorn.error").addFilter(ClientFaultFilter())
