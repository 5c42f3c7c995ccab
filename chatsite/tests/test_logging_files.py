"""LOG_DIR: JSON lines in app.log and errors.log for a log shipper, beside stdout, rotated safely
by several processes at once."""

import json
import logging
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from chatsite.logging_files import SharedRotatingFileHandler
from testkit.services import ROOT, deadline

FIELDS = {"time", "level", "logger", "message", "request_id", "user_id"}

LOG_SOME_LINES = """
import logging
from chatsite.request_id import request_id_var
request_id_var.set("rid-7")
logging.getLogger("chats.demo").info("hello %s", "file")
logging.getLogger("chats.demo").error("it broke")
"""


def run_shell(code, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("LOG_DIR", "LOG_FORMAT")}
    full_env.update(DJANGO_SETTINGS_MODULE="settings.test", READ_DOT_ENV="false", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=deadline(),
        check=True,
    )


def json_lines(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_with_log_dir_every_line_goes_to_app_log_and_errors_to_errors_log_as_json(tmp_path):
    log_dir = tmp_path / "logs" / "chatsite"  # made when missing

    result = run_shell(LOG_SOME_LINES, LOG_DIR=str(log_dir), LOG_FORMAT="text")

    app = [line for line in json_lines(log_dir / "app.log") if line["logger"] == "chats.demo"]
    assert [(line["level"], line["message"], line["request_id"]) for line in app] == [
        ("INFO", "hello file", "rid-7"),
        ("ERROR", "it broke", "rid-7"),
    ]
    assert set(app[0]) >= FIELDS
    errors = json_lines(log_dir / "errors.log")
    assert [(line["level"], line["message"]) for line in errors] == [("ERROR", "it broke")]
    # stdout keeps its own format (text here) and still gets everything.
    assert "INFO chats.demo [rid-7] hello file" in result.stdout
    assert "ERROR chats.demo [rid-7] it broke" in result.stdout


def test_without_log_dir_stdout_is_the_only_handler():
    result = run_shell("from django.conf import settings; print(settings.LOGGING['root']['handlers'])")
    assert result.stdout.strip().splitlines()[-1] == "['stdout']"


def _write_lines(path, writer, count, max_bytes):
    handler = SharedRotatingFileHandler(path, maxBytes=max_bytes, backupCount=1000)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger(f"rotation-{writer}")
    log.propagate = False
    log.addHandler(handler)
    for i in range(count):
        log.warning(json.dumps({"writer": writer, "n": i, "pad": "x" * 40}))
    handler.close()


def test_several_processes_share_the_files_and_rotation_loses_and_repeats_no_line(tmp_path):
    path = str(tmp_path / "app.log")
    writers, count, max_bytes = 4, 1500, 20_000
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_lines, args=(path, w, count, max_bytes)) for w in range(writers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(deadline())
        assert proc.exitcode == 0

    files = sorted(tmp_path.glob("app.log*"))
    files = [f for f in files if not f.name.endswith(".lock")]
    assert len(files) > 10  # it did rotate, many times, with four writers racing
    seen = [(line["writer"], line["n"]) for f in files for line in json_lines(f)]
    assert sorted(seen) == [(w, i) for w in range(writers) for i in range(count)]  # each line once, none torn
    # A file may overshoot by the lines other processes wrote while one rotated, never by much.
    assert max(f.stat().st_size for f in files) < 2 * max_bytes
