"""The deployment files (docker/, k8s/) agree with each other and with the README, and the parts of
them that can run without a Docker engine or a cluster do what they say: the entrypoint's probes
and its check --deploy, the heartbeat of the long-running commands, the image's file set."""

import fnmatch
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time

import pytest
import yaml
from django.core.management import call_command

from streaming.management.commands import relay_outbox
from streaming.management.commands._heartbeat import Heartbeat
from testkit.services import ROOT, wait_until

ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
COMPOSE_FILES = sorted((ROOT / "docker").glob("compose.*.yml"))
ROLES = {"web", "worker", "beat", "relay", "consumer"}


def k8s_docs():
    for path in sorted((ROOT / "k8s").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and "kind" in doc:
                yield path, doc


def workloads():
    """{component: container} of the long-running workloads of the k8s base."""
    found = {}
    for _, doc in k8s_docs():
        if doc["kind"] in ("Deployment", "StatefulSet"):
            component = doc["metadata"]["labels"]["app.kubernetes.io/component"]
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            found[component] = container
    return found


def compose_processes(path):
    """{service: service} of a compose file's long-running app services (the app image; not the
    one-off migration)."""
    services = yaml.safe_load(path.read_text())["services"]
    found = {}
    for name, service in services.items():
        command = service.get("command") or []
        if "chatsite" not in str(service.get("image", "")) or command[:2] == ["manage", "migrate"]:
            continue
        found[name] = service
    return found


def readme_processes():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Deployment", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([\w-]+)` \| `([^`]+)`", section, flags=re.M))


def readme_consumer_groups():
    text = (ROOT / "README.md").read_text()
    section = text.split("### Consumer groups", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([^`]+)` \| `manage.py consume_events", section, flags=re.M)


def test_manifests_compose_files_and_readme_list_the_same_processes():
    expected = {"web", "worker", "beat", "relay"} | {f"consumer-{g}" for g in readme_consumer_groups()}
    assert set(readme_processes()) == expected
    assert set(workloads()) == expected
    for path in COMPOSE_FILES:
        assert set(compose_processes(path)) == expected, path.name


def test_each_process_runs_the_role_its_name_says():
    for name, command in readme_processes().items():
        role = command.split()[0]
        assert role in ROLES and name.startswith(role), (name, command)
        assert workloads()[name]["args"][0] == role, name
        for path in COMPOSE_FILES:
            args = compose_processes(path)[name]["command"]
            # The development stack serves with runserver, which reloads on edits.
            assert args[0] == role or (path.name == "compose.dev.yml" and args[:2] == ["manage", "runserver"])


def heartbeat_file(args):
    return args[args.index("--heartbeat-file") + 1]


def test_relay_and_consumers_are_probed_by_the_heartbeat_they_write():
    for name, container in workloads().items():
        if name not in ("relay",) and not name.startswith("consumer-"):
            continue
        beat = heartbeat_file(container["args"])
        for probe in ("startupProbe", "livenessProbe"):
            command = container[probe]["exec"]["command"]
            assert command[:3] == ["/app/docker/entrypoint.sh", "heartbeat", beat], (name, probe)
        for path in COMPOSE_FILES:
            service = compose_processes(path)[name]
            assert service["healthcheck"]["test"][1:4] == ["/app/docker/entrypoint.sh", "heartbeat", beat]
            assert heartbeat_file(service["command"]) == beat


def test_web_is_live_by_healthz_and_ready_by_readyz_without_a_host_header():
    web = workloads()["web"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for _, doc in k8s_docs():
        assert "httpHeaders" not in str(doc), "the probe middleware answers before the Host check"
        if doc["kind"] == "Kustomization":
            literals = [v for gen in doc.get("configMapGenerator", []) for v in gen.get("literals", [])]
            hosts = [v.split("=", 1)[1] for v in literals if v.startswith("ALLOWED_HOSTS=")]
            assert all("chatsite-web" not in h for h in hosts), hosts
    healthcheck = ENTRYPOINT.read_text().split("\nhealthcheck)\n", 1)[1].split(";;")[0]
    assert "urlopen" in healthcheck and "headers" not in healthcheck and "ALLOWED_HOSTS" not in healthcheck


def test_deployment_settings_keep_the_sql_store_and_no_channel_layer_variable():
    texts = [p.read_text() for p in [*COMPOSE_FILES, *(ROOT / "k8s").rglob("*.yaml")]]
    assert not any("CHANNEL_LAYER" in t for t in texts)
    assert "MESSAGE_STORE=sql" in (ROOT / "k8s" / "base" / "kustomization.yaml").read_text()
    for path in COMPOSE_FILES:
        app = yaml.safe_load(path.read_text())["x-app"]
        assert app["environment"]["MESSAGE_STORE"] == "sql", path.name


# --- the entrypoint ---


def run_entrypoint(*args, **env):
    full = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}", "READ_DOT_ENV": "false"}
    full.update(env)
    full = {k: v for k, v in full.items() if v is not None}
    return subprocess.run(["sh", str(ENTRYPOINT), *args], env=full, capture_output=True, text=True, check=False)


def test_the_heartbeat_probe_passes_a_fresh_file_and_fails_a_stale_or_missing_one(tmp_path):
    beat = tmp_path / "beat"
    assert run_entrypoint("heartbeat", str(beat), "60").returncode == 1
    beat.touch()
    assert run_entrypoint("heartbeat", str(beat), "60").returncode == 0
    old = time.time() - 61
    os.utime(beat, (old, old))
    stale = run_entrypoint("heartbeat", str(beat), "60")
    assert stale.returncode == 1 and "stuck" in stale.stderr


def prod_env(**extra):
    env = {"DJANGO_SETTINGS_MODULE": "settings.prod", "SECRET_KEY": secrets.token_urlsafe(50)}
    env.update(ALLOWED_HOSTS="chat.example.com", **extra)
    for name in ("DATABASE_URL", "REDIS_URL", "MONGO_URL", "NEO4J_URL", "KAFKA_BOOTSTRAP_SERVERS"):
        env[name] = None  # unset: the check needs no backend
    return env


def test_a_role_starts_only_after_check_deploy_passes():
    started = run_entrypoint("echo", "started", **prod_env())
    assert started.returncode == 0 and started.stdout.strip() == "started", started.stderr

    refused = run_entrypoint("echo", "started", **prod_env(SECURE_HSTS_SECONDS="0"))
    assert refused.returncode == 1 and "started" not in refused.stdout
    assert "security.W004" in refused.stderr


def test_a_consumer_argument_hostname_becomes_the_container_host_name(tmp_path):
    # `manage.py` of a stand-in tree prints its arguments: the entrypoint's expansion is the subject.
    (tmp_path / "docker").mkdir()
    shutil.copy(ENTRYPOINT, tmp_path / "docker" / "entrypoint.sh")
    (tmp_path / "manage.py").write_text("import sys\nprint(' '.join(sys.argv[1:]))\n")
    out = subprocess.run(
        ["sh", str(tmp_path / "docker" / "entrypoint.sh"), "consumer", "g", "--instance-id", "$HOSTNAME", "--x", "a b"],
        env={**os.environ, "DEPLOY_CHECK": "off", "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == f"consume_events --group g --instance-id {os.uname().nodename} --x a b"


# --- the heartbeat of the long-running commands ---


def age(path):
    return time.time() - path.stat().st_mtime


def make_old(path):
    old = time.time() - 3600
    os.utime(path, (old, old))


def test_the_heartbeat_beats_when_the_loop_looks_and_while_it_waits(tmp_path):
    stop = threading.Event()
    heartbeat = Heartbeat(stop, tmp_path / "hb" / "relay")
    assert age(heartbeat.path) < 60
    make_old(heartbeat.path)
    heartbeat._last = float("-inf")
    assert heartbeat.is_set() is False
    assert age(heartbeat.path) < 60

    # A long wait keeps beating in slices, and ends as soon as the stop is set.
    make_old(heartbeat.path)
    waiter = threading.Thread(target=heartbeat.wait, args=(3600,))
    waiter.start()
    wait_until(lambda: age(heartbeat.path) < 60, "a beat during the wait")
    stop.set()
    waiter.join(timeout=10)
    assert not waiter.is_alive() and heartbeat.is_set()


@pytest.mark.django_db(transaction=True)
def test_relay_outbox_keeps_its_heartbeat_fresh_until_stopped(tmp_path, monkeypatch, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = ""
    settings.OUTBOX_STRAGGLER_SECONDS = 3600
    stop = threading.Event()
    monkeypatch.setattr(relay_outbox, "stop_on_signals", lambda: stop)
    beat = tmp_path / "relay"
    runner = threading.Thread(target=call_command, args=("relay_outbox", "--heartbeat-file", str(beat)))
    runner.start()
    try:
        wait_until(beat.exists, "the first heartbeat")
        make_old(beat)
        wait_until(lambda: age(beat) < 60, "a heartbeat while the relay idles")
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()


# --- the image ---


def dockerignore_included(root):
    """The files of `root` that the build context of docker/Dockerfile holds, by
    docker/Dockerfile.dockerignore (the last matching line wins; a folder's match covers what is in
    it)."""
    rules = []
    for line in (root / "docker" / "Dockerfile.dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), line.lstrip("!")))

    def matches(pattern, rel):
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        return any(re.fullmatch(regex, p) or fnmatch.fnmatchcase(p, pattern) for p in prefixes)

    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout
    included = []
    for rel in tracked.split():
        keep = True
        for negated, pattern in rules:
            if matches(pattern, rel):
                keep = negated
        if keep:
            included.append(rel)
    return included


def test_the_image_holds_what_runs_and_its_settings_pass_check_deploy(tmp_path):
    included = dockerignore_included(ROOT)
    assert "manage.py" in included and "docker/entrypoint.sh" in included
    assert "requirements/base.txt" in included
    leaks = [f for f in included if "/tests/" in f or f.split("/")[0] in ("bench", "testkit", "k8s", "scripts")]
    assert not leaks
    test_only = {"conftest.py", "settings/test.py", "chatsite/testing_server.py", "requirements/prod.txt"}
    assert not test_only & set(included)

    # The installed set is base.txt only: no compiler stage, no MySQL driver, no gunicorn.
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "requirements/base.txt" in dockerfile and "prod.txt" not in dockerfile
    assert "build-essential" not in dockerfile
    base = (ROOT / "requirements" / "base.txt").read_text()
    assert "gunicorn==" not in base and "mysqlclient==" not in base

    # The image's tree alone is a working project.
    for rel in included:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    env = {k: v for k, v in {**os.environ, **prod_env(), "READ_DOT_ENV": "false"}.items() if v is not None}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_jenkins_approval_waits_without_an_agent():
    text = (ROOT / "Jenkinsfile").read_text()
    pipeline = text.split("pipeline {", 1)[1]
    assert re.search(r"^    agent none$", pipeline, flags=re.M)
    approval = pipeline.split("stage('Approve production')", 1)[1].split("stage('Deploy to production')", 1)[0]
    assert "input " in approval and not re.search(r"^\s*agent\b", approval, flags=re.M)
    for step in ("make lint", "make test", "check --deploy", "make audit", "docker build", "trivy image"):
        assert step in text, step
