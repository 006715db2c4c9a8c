"""docker-compose.yml: the stack's shape, and that docker-compose (v1.29, Debian) accepts it.

No Docker engine is needed: `docker-compose config` only reads and validates the file (and
resolves its variables). These tests never touch the database.
"""

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"

SERVICES = {"postgres", "redis", "mail", "web", "worker", "beat"}
APP_SERVICES = ("web", "worker", "beat")


def _compose():
    # safe_load resolves the x-app anchor and its `<<:` merges into each app service.
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _environment(service):
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return env


def test_compose_file_defines_the_stack():
    compose = _compose()
    services = compose["services"]

    missing = SERVICES - set(services)
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"
    assert "name" not in compose, "docker-compose 1.29 rejects a top-level name:"

    for name in ("postgres", "redis", "mail", "web"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"

    for name in APP_SERVICES:
        env = _environment(services[name])
        assert env.get("DATABASE_URL", "").startswith("postgres://"), name
        assert env.get("REDIS_URL", "").startswith("redis://"), name
        assert env.get("EMAIL_HOST") == "mail", name
        assert str(env.get("DEBUG")).lower() == "false", name

    depends_on = services["web"]["depends_on"]
    for name in ("postgres", "redis"):
        assert depends_on[name]["condition"] == "service_healthy"

    # The evidence volume is shared by the process that stores uploads and the worker.
    evidence_root = _environment(services["web"])["EVIDENCE_ROOT"]
    for name in ("web", "worker"):
        mounts = [v.split(":")[1] for v in services[name]["volumes"]]
        assert evidence_root in mounts, name


# The secrets a deployment must choose; compose has no default for any of them.
SECRETS = {
    "SECRET_KEY": "a-secret-chosen-for-this-test-" + "x" * 30,
    "LEAKCASE_MASTER_KEYS": "k1:" + "QQ" * 21 + "Q=",
    "POSTGRES_PASSWORD": "a-password-chosen-for-this-test",
}
# Variables the file reads that would change what it says; the tests set them or leave them out.
COMPOSE_VARIABLES = {
    *SECRETS,
    "LEAKCASE_DEMO_DATA",
    "DEBUG",
    "LEAKCASE_SUPPORT_CONTACTS",
    "LEAKCASE_SURVIVOR_SELF_SERVICE",
}


def _docker_compose(*args, **env):
    # bin/test installs docker-compose (ensure_docker_compose), so a missing binary is a
    # failure, not a skip.
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose is not installed (bin/test installs it)"
    # The test settings put their own keys in this process's environment: leave them out.
    clean = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    return subprocess.run(
        [docker_compose, "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_docker_compose_validates_the_file():
    result = _docker_compose("config", "-q", **SECRETS)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(missing):
    given = {name: value for name, value in SECRETS.items() if name != missing}

    result = _docker_compose("config", "-q", **given)

    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


def test_the_stack_runs_on_the_given_secrets_without_demo_data():
    resolved = yaml.safe_load(_docker_compose("config", **SECRETS).stdout)

    for name in APP_SERVICES:
        env = _environment(resolved["services"][name])
        assert env["SECRET_KEY"] == SECRETS["SECRET_KEY"], name
        assert env["LEAKCASE_MASTER_KEYS"] == SECRETS["LEAKCASE_MASTER_KEYS"], name
        assert f":{SECRETS['POSTGRES_PASSWORD']}@" in env["DATABASE_URL"], name
        # Demo users (published password and login key) only when asked for.
        assert env["LEAKCASE_DEMO_DATA"] == "false", name
        # No support contacts made up; survivors do not write requests unless asked for.
        assert env["LEAKCASE_SUPPORT_CONTACTS"] == "", name
        assert env["LEAKCASE_SURVIVOR_SELF_SERVICE"] == "false", name
    postgres = _environment(resolved["services"]["postgres"])
    assert postgres["POSTGRES_PASSWORD"] == SECRETS["POSTGRES_PASSWORD"]


def test_no_published_or_test_key_is_in_the_deployment_files():
    """What settings refuse with DEBUG off is not shipped anywhere, and neither are the test
    settings' keys (which settings accept: they must stay in leakcase/settings_test.py)."""
    texts = {
        path.name: path.read_text()
        for path in (COMPOSE_FILE, ROOT / "Dockerfile", ROOT / "README.md")
    }
    published = [
        *settings.PUBLISHED_SECRET_KEYS,
        *settings.PUBLISHED_MASTER_KEYS,
        settings.SECRET_KEY,
        *(base64.b64encode(key).decode() for key in settings.EVIDENCE_MASTER_KEYS.values()),
    ]
    found = [(name, key) for name, text in texts.items() for key in published if key in text]
    assert found == []


def test_the_helplines_support_contacts_reach_every_app_service():
    contacts = "Our helpline | +44 20 7946 0000 | Mon-Fri 10:00-16:00"
    resolved = yaml.safe_load(
        _docker_compose("config", **SECRETS, LEAKCASE_SUPPORT_CONTACTS=contacts).stdout
    )
    for name in APP_SERVICES:
        env = _environment(resolved["services"][name])
        assert env["LEAKCASE_SUPPORT_CONTACTS"] == contacts, name
