"""The previous design as a baseline measured in the same run: an older commit checked out as a git
worktree in a temporary directory (removed after the run, so nothing of this machine is kept),
served from there by this environment's Python, on a PostgreSQL database of its own (its schema
is its own migrations').

BENCH_PREVIOUS names the commit; the default is 94030dc, the last one before the send path's
plain-SQL access check and outbox insert and the hand-built wire shapes. (b4bbf03 is the last one
before the HTTP handler that runs a request in one thread of a pool, 8fdf091 the last one
before the connect path's plain-SQL reads and the batched presence announcements, 4a2dcb2 the
last one before the rate limiter's shared Redis client and the sync middleware chain, d144045 the
last one before group commit and pipelined sends, 9064692 the last one before the gateway app.)
Both trees run on this environment's packages: a dependency added since (hiredis) serves both.
"""

import json
import os
import shutil
import subprocess  # nosec B404 - git and the project's own Python, fixed command lines
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from bench.common import ROOT

DEFAULT_COMMIT = "94030dc"
COMMIT = os.environ.get("BENCH_PREVIOUS", DEFAULT_COMMIT)


@contextmanager
def checkout(commit=COMMIT):
    """A detached worktree of `commit`; yields its path."""
    parent = Path(tempfile.mkdtemp(prefix="chatsite-bench-"))
    tree = parent / "previous"
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run([*git, "add", "--detach", "--quiet", str(tree), commit], check=True)  # nosec B603
    build_native(tree)
    try:
        yield tree
    finally:
        subprocess.run([*git, "remove", "--force", str(tree)], check=False)  # nosec B603
        shutil.rmtree(parent, ignore_errors=True)


def build_native(tree):
    """The older tree's C parts, as `make` builds them here (git keeps no build), so that it is
    measured as it would run; a tree from before them has none, and one that cannot be built runs
    in Python, as `make` leaves it."""
    script = tree / "ml" / "native" / "build.sh"
    if script.exists():
        subprocess.run([str(script), sys.executable], check=False, capture_output=True)  # nosec B603


_PREPARE = """
import json, sys
import django
from django.conf import settings
from bench.common import prepare_group, prepare_rooms, recreate_database
env, plans = json.loads(sys.stdin.read())
django.setup()
# The bench's users sign in by token, never by password: a fast hash of theirs saves the set-up
# half a second of CPU per user (production's hasher is slow on purpose).
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
out = []
for plan in plans:
    if plan["kind"] == "rooms":
        recreate_database(env["DATABASE_URL"])
        out.append(prepare_rooms(env, plan["rooms"], plan["members"], plan["prefix"]))
    else:
        out.append(prepare_group(env, plan["members"], plan["prefix"]))
print("PREPARED " + json.dumps(out), flush=True)
"""


def prepare(tree, env, **plan):
    """Run a source tree's own bench.common set-up (its models, its migrations) in a child process:
    `kind="rooms"` (rooms, members, prefix; on a database made afresh) or `kind="group"` (members,
    prefix)."""
    return prepare_all(tree, env, [plan])[0]


def prepare_all(tree, env, plans):
    """Several set-ups as `prepare` does them, in one child process (one start of Django, one check
    of the migrations), in order; returns their results in the same order."""
    return run_in_tree(tree, env, _PREPARE, [env, plans], "PREPARED")


def run_in_tree(tree, env, script, payload, tag):
    """Run `script` with a source tree's own code, in a child process started there: it reads
    `payload` as JSON on its standard input and prints its answer as `<tag> <JSON>`."""
    done = subprocess.run(  # nosec B603 - our own interpreter and a constant script
        [sys.executable, "-W", "ignore", "-c", script],
        cwd=tree,
        env=env,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith(f"{tag} "):
            return json.loads(line.removeprefix(f"{tag} "))
    raise RuntimeError(f"{tag.lower()} in {tree} failed:\n{done.stderr[-3000:]}")
