"""Log files for a log shipper (Filebeat, Fluent Bit): JSON lines in LOG_DIR, beside stdout.

`app.log` gets every line the process logs, `errors.log` only ERROR and above. Both rotate by
size. Web workers, Celery and the relay may all write to the same folder, so a rotation is done
by one process under a lock, and the others notice that the file they hold was moved and reopen
the new one (the stock RotatingFileHandler would go on writing into the rotated file, or rotate it
a second time).
"""

import fcntl
import logging.handlers
import os

APP_LOG = "app.log"
ERRORS_LOG = "errors.log"


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    def __init__(self, filename, maxBytes=0, backupCount=0, encoding="utf-8"):
        os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
        super().__init__(filename, maxBytes=maxBytes, backupCount=backupCount, encoding=encoding)
        self._lock_path = self.baseFilename + ".lock"
        self._identity = self._opened_identity()

    def _opened_identity(self):
        if self.stream is None:
            return None
        st = os.fstat(self.stream.fileno())
        return st.st_dev, st.st_ino

    def _reopen_if_moved(self):
        try:
            st = os.stat(self.baseFilename)
            current = st.st_dev, st.st_ino
        except FileNotFoundError:
            current = None
        if current is None or current != self._identity:
            if self.stream is not None:
                self.stream.flush()
                self.stream.close()
            self.stream = self._open()
            self._identity = self._opened_identity()

    def emit(self, record):
        try:
            self._reopen_if_moved()
        except OSError:
            self.handleError(record)
            return
        super().emit(record)

    def doRollover(self):
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                # Another process may have rotated while this one waited for the lock: then the
                # fresh file is not full, and this one only has to switch to it.
                held = self._identity
                self._reopen_if_moved()
                if self._identity == held:
                    super().doRollover()
                    self._identity = self._opened_identity()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def add_file_handlers(logging_config, log_dir, *, max_bytes, backups, formatter="json", filters=("context",)):
    """Add the app.log and errors.log handlers to a LOGGING dict, for the root logger."""
    common = {
        "()": f"{__name__}.SharedRotatingFileHandler",
        "maxBytes": max_bytes,
        "backupCount": backups,
        "formatter": formatter,
        "filters": list(filters),
    }
    logging_config["handlers"]["app_file"] = {**common, "filename": os.path.join(log_dir, APP_LOG)}
    logging_config["handlers"]["errors_file"] = {
        **common,
        "filename": os.path.join(log_dir, ERRORS_LOG),
        "level": "ERROR",
    }
    logging_config["root"]["handlers"] = [*logging_config["root"]["handlers"], "app_file", "errors_file"]
    return logging_config
