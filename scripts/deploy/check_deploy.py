"""`manage.py check --deploy` with the settings each rendered overlay gives the pods.

Reads the `chatsite-config` ConfigMap of each kustomize build given on the command line, adds a
throwaway SECRET_KEY (the real one lives in the Secret, out of the repository), and runs the check
with warnings counted as failures, as the image's entrypoint does at every start.

    python scripts/deploy/check_deploy.py RENDERED.yaml [...]
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# The service URLs live in the Secret; the check needs none of them, so their embedded defaults do.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "MONGO_URL", "NEO4J_URL", "KAFKA_BOOTSTRAP_SERVERS")


def overlay_config(rendered):
    for doc in yaml.safe_load_all(Path(rendered).read_text()):
        if doc and doc.get("kind") == "ConfigMap" and doc["metadata"]["name"].startswith("chatsite-config"):
            return doc["data"]
    raise SystemExit(f"{rendered}: no chatsite-config ConfigMap")


def check(rendered):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(overlay_config(rendered))
    env.update(SECRET_KEY=secrets.token_urlsafe(50), READ_DOT_ENV="false")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    name = Path(rendered).stem
    if result.returncode:
        sys.stderr.write(f"check --deploy failed with the {name} overlay's settings:\n{result.stderr}")
        return False
    print(f"deploy-lint: check --deploy passes with the {name} overlay's settings ({env['DJANGO_SETTINGS_MODULE']})")
    return True


if __name__ == "__main__":
    results = [check(path) for path in sys.argv[1:]]
    sys.exit(0 if results and all(results) else 1)
