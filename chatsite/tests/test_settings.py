"""Production settings refuse unsafe start-up clearly, and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "SECRET_KEY": "x9!" + "k" * 60 + "Zq#2vL8@pW",
    "ALLOWED_HOSTS": "chat.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://chat.example.com",
}


def run_manage(args, extra_env, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop and k != "DJANGO_SETTINGS_MODULE"}
    env.update(extra_env, DJANGO_SETTINGS_MODULE="settings.prod")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_prod_without_secret_key_stops_with_one_clear_sentence():
    env = dict(PROD_ENV)
    del env["SECRET_KEY"]
    result = run_manage(["check"], env, drop=("SECRET_KEY",))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == "chatsite: SECRET_KEY must be set in the environment for production settings."


def test_prod_without_allowed_hosts_stops_with_one_clear_sentence():
    env = dict(PROD_ENV)
    del env["ALLOWED_HOSTS"]
    result = run_manage(["check"], env, drop=("ALLOWED_HOSTS",))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_prod_passes_check_deploy_without_warnings():
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_refuses_a_wildcard_in_allowed_hosts():
    result = run_manage(["check"], {**PROD_ENV, "ALLOWED_HOSTS": "chat.example.com,*"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "chatsite: ALLOWED_HOSTS must name the site's hosts; '*' would accept any Host header."
    )


def test_prod_refuses_a_short_or_repetitive_secret_key():
    for key in ["short-but-set", "ab" * 40]:
        result = run_manage(["check"], {**PROD_ENV, "SECRET_KEY": key})
        assert result.returncode == 1, key
        assert "Traceback" not in result.stderr
        assert result.stderr.strip() == (
            "chatsite: SECRET_KEY must be at least 50 characters long with at least 5 different characters."
        )
