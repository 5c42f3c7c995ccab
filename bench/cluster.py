"""The "beyond one machine" target: the gateway on a Redis Cluster with sharded pub/sub. It is a
yes-or-no target, proven by a test rather than timed, so this runs that test and records its
outcome in targets.json.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.cluster

The test (gateway/tests/test_ws_cluster.py) runs two uvicorn processes whose fan-out starts from
different nodes of the three-master cluster that `svc start redis-cluster` makes, with
conversations on every shard; bursts of sends through each process reach the sockets of both
exactly once and in seq order. Its companion (gateway/tests/test_fanout_cluster.py) proves that a
lost shard connection closes only the sockets of that shard's groups, which then resume. Under
CI=true a missing cluster fails them instead of skipping.
"""

import os
import subprocess  # nosec B404 - runs the project's own test suite
import sys

from bench.common import ROOT, record_targets

NAME = "Beyond one machine: gateway on a Redis Cluster with sharded pub/sub, lossless between nodes"
TESTS = ["gateway/tests/test_ws_cluster.py", "gateway/tests/test_fanout_cluster.py"]
COMMAND = "python -m bench.cluster"


def main():
    if not os.environ.get("REDIS_CLUSTER_URL"):
        sys.exit('bench: set REDIS_CLUSTER_URL (svc start redis-cluster, then eval "$(scripts/services/svc env)")')
    env = dict(os.environ, CI="true", DJANGO_SETTINGS_MODULE="settings.test")
    cmd = [sys.executable, "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider", "-m", "services"]
    passed = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode == 0  # nosec B603 - a fixed command line
    measured = (
        "passed: two processes, three shards, bursts both ways, each send delivered once and in order"
        if passed
        else "failed"
    )
    record_targets(
        [
            {
                "name": NAME,
                "goal": "a test proves it",
                "measured": measured,
                "unit": "",
                "met": passed,
                "command": COMMAND,
            }
        ]
    )
    print(f"{NAME}: {'met' if passed else 'NOT met'}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
