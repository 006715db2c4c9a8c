"""docker-compose.yml: the stack's shape, and that docker-compose (v1.29, Debian) accepts it.

No Docker engine is needed: `docker-compose config` only reads and validates the file.
These tests never touch the database.
"""

import shutil
import subprocess
from pathlib import Path

import yaml

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


def test_docker_compose_validates_the_file():
    # bin/test installs docker-compose (ensure_docker_compose), so a missing binary is a
    # failure, not a skip.
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose is not installed (bin/test installs it)"

    result = subprocess.run(
        [docker_compose, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
