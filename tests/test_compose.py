"""docker-compose.yml: the stack's shape, and that docker-compose (v1.29, Debian) accepts it.

No Docker engine is needed: `docker-compose config` only reads and validates the file (and
resolves its variables). These tests never touch the database.
"""

import base64
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from leakcase.celery import app

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
README = ROOT / "README.md"

SERVICES = {"postgres", "redis", "objectstore", "mail", "web", "worker", "beat"}
APP_SERVICES = ("web", "worker", "beat")
# Where each service that keeps data keeps it; everything else keeps nothing worth a volume
# (Redis: messages rebuilt from the database and short-lived marks; Mailpit: a trial's mail).
STATEFUL = {"postgres": "/var/lib/postgresql/data", "objectstore": "/data"}

# The secrets a deployment must choose; compose has no default for any of them.
SECRETS = {
    "SECRET_KEY": "a-secret-chosen-for-this-test-" + "x" * 30,
    "LEAKCASE_MASTER_KEYS": "k1:" + "QQ" * 21 + "Q=",
    "POSTGRES_PASSWORD": "a-password-chosen-for-this-test",
    "EVIDENCE_S3_ACCESS_KEY": "an-access-key-chosen-for-this-test",
    "EVIDENCE_S3_SECRET_KEY": "a-secret-key-chosen-for-this-test",
}


def _compose():
    # safe_load resolves the x-app anchor and its `<<:` merges into each app service.
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _environment(service):
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def _variables_the_file_reads():
    """Every variable the file interpolates or passes through: the tests set them or leave
    them out, so the machine's own environment never changes what the file says."""
    interpolated = set(re.findall(r"(?<!\$)\$\{(\w+)", COMPOSE_FILE.read_text()))
    passed_through = {
        name
        for service in _compose()["services"].values()
        for name, value in _environment(service).items()
        if value is None
    }
    return interpolated | passed_through | {"DEBUG"}


def _docker_compose(*args, tmp_path, env_file=None, **env):
    # bin/test installs docker-compose (ensure_docker_compose), so a missing binary is a
    # failure, not a skip.
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose is not installed (bin/test installs it)"
    # The test settings put their own keys in this process's environment, and a checkout may
    # hold a deployment's .env: neither reaches the file.
    clean = {k: v for k, v in os.environ.items() if k not in _variables_the_file_reads()}
    if env_file is None:
        env_file = tmp_path / "empty.env"
        env_file.write_text("")
    return subprocess.run(
        [docker_compose, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _resolved(tmp_path, **env):
    result = _docker_compose("config", tmp_path=tmp_path, **{**SECRETS, **env})
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_defines_the_stack():
    compose = _compose()
    services = compose["services"]

    missing = SERVICES - set(services)
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"
    assert "name" not in compose, "docker-compose 1.29 rejects a top-level name:"

    for name in APP_SERVICES:
        env = _environment(services[name])
        assert env.get("DATABASE_URL", "").startswith("postgres://"), name
        assert env.get("REDIS_URL", "").startswith("redis://"), name
        assert str(env.get("DEBUG")).lower() == "false", name

    for name in ("postgres", "redis", "objectstore"):
        assert services["web"]["depends_on"][name]["condition"] == "service_healthy"


def test_docker_compose_validates_the_file(tmp_path):
    result = _docker_compose("config", "-q", tmp_path=tmp_path, **SECRETS)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("given", ["unset", "empty"])
@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(tmp_path, missing, given):
    others = {name: value for name, value in SECRETS.items() if name != missing}
    env = others if given == "unset" else {**others, missing: ""}

    result = _docker_compose("config", "-q", tmp_path=tmp_path, **env)

    assert result.returncode != 0
    # Its own message, naming it and where to read about it, is the reason compose gives
    # last (1.29 prints the service's environment, unresolved, before it).
    assert result.stderr.strip().endswith(f": set {missing} (README, Deployment)")


def test_no_secret_has_a_default():
    """Every use of a secret in the file is `${NAME:?message}`: there is no value to fall
    back on, so none can be published here."""
    text = COMPOSE_FILE.read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
        assert uses, f"{name} is not used"
        assert all(use.startswith(":?") for use in uses), (name, uses)


def test_the_stack_runs_on_the_given_secrets_without_demo_data(tmp_path):
    resolved = _resolved(tmp_path)
    services = resolved["services"]

    for name in APP_SERVICES:
        env = _environment(services[name])
        assert env["SECRET_KEY"] == SECRETS["SECRET_KEY"], name
        assert env["LEAKCASE_MASTER_KEYS"] == SECRETS["LEAKCASE_MASTER_KEYS"], name
        assert f":{SECRETS['POSTGRES_PASSWORD']}@" in env["DATABASE_URL"], name
        # Evidence in the bundled object store, under the app's key pair.
        assert env["EVIDENCE_S3_BUCKET"] == "evidence", name
        assert env["EVIDENCE_S3_ENDPOINT_URL"] == "http://objectstore:8333", name
        assert env["EVIDENCE_S3_ACCESS_KEY"] == SECRETS["EVIDENCE_S3_ACCESS_KEY"], name
        assert env["EVIDENCE_S3_SECRET_KEY"] == SECRETS["EVIDENCE_S3_SECRET_KEY"], name
        # Demo users (published password and login key) only when asked for.
        assert env["LEAKCASE_DEMO_DATA"] == "false", name
        # No support contacts made up; survivors do not write requests unless asked for.
        assert env["LEAKCASE_SUPPORT_CONTACTS"] == "", name
        assert env["LEAKCASE_SURVIVOR_SELF_SERVICE"] == "false", name
        # Mailpit catches the trial's mail.
        assert (env["EMAIL_HOST"], env["EMAIL_PORT"]) == ("mail", "1025"), name
    postgres = _environment(services["postgres"])
    assert postgres["POSTGRES_PASSWORD"] == SECRETS["POSTGRES_PASSWORD"]
    # The object store's one identity is the app's key pair.
    store = _environment(services["objectstore"])
    assert store["S3_ACCESS_KEY"] == SECRETS["EVIDENCE_S3_ACCESS_KEY"]
    assert store["S3_SECRET_KEY"] == SECRETS["EVIDENCE_S3_SECRET_KEY"]
    assert "-s3.config=/tmp/s3.json" in services["objectstore"]["command"][0]


def test_every_service_has_a_healthcheck(tmp_path):
    services = _resolved(tmp_path)["services"]

    assert set(services) == SERVICES
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert not check.get("disable"), name
        assert check.get("test") and check["test"][0] in {"CMD", "CMD-SHELL"}, name


def _shell(command: str, env: dict, timeout: int = 60, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_the_celery_health_checks_answer_for_a_live_process_and_not_for_a_stopped_one(
    tmp_path, name
):
    """The service's own command and health check, as compose runs them in the container
    (its hostname in $HOSTNAME, celery on PATH), against this machine's Redis: healthy while
    the process runs, unhealthy once it has stopped."""
    service = _resolved(tmp_path)["services"][name]
    kind, check = service["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        # The container's hostname is what celery names its node after.
        "HOSTNAME": socket.gethostname(),
        "DJANGO_SETTINGS_MODULE": "leakcase.settings_test",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leakcase"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "LEAKCASE_VAR_DIR": str(tmp_path / "var"),
    }
    process = subprocess.Popen(
        [*service["command"]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    node = f"{'celery' if name == 'worker' else 'celerybeat'}@{socket.gethostname()}"
    try:
        # Started: it answers a quick ping of our own (the check waits 10 s for silence).
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=0.5):
            assert process.poll() is None, f"{name} stopped while starting"
            assert time.monotonic() < deadline, f"{name} did not answer as {node}"

        result = _shell(check.replace("$$", "$"), env)

        assert result.returncode == 0, result.stdout + result.stderr
        assert "pong" in result.stdout
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    stopped = _shell(check.replace("$$", "$"), env)

    assert stopped.returncode != 0


def test_every_stateful_service_keeps_its_data_in_a_named_volume(tmp_path):
    """Named volumes survive `docker-compose down` and are what the backup covers (the
    database and the object store); nothing else, evidence above all, lands on a volume."""
    resolved = _resolved(tmp_path)
    services = resolved["services"]

    for name, service in services.items():
        mounts = {
            volume.split(":")[1]: volume.split(":")[0] for volume in service.get("volumes", [])
        }
        if name in STATEFUL:
            source = mounts.get(STATEFUL[name])
            assert source in resolved["volumes"], (name, mounts)
            assert not source.startswith(("/", ".")), f"{name}: a host path, not a volume"
        else:
            assert mounts == {}, name
    assert len(resolved["volumes"]) == len(STATEFUL)


def test_workers_scale_and_take_their_concurrency(tmp_path):
    """`docker-compose up -d --scale worker=3` needs no fixed name or host port."""
    worker = _resolved(tmp_path, WORKER_CONCURRENCY="4")["services"]["worker"]

    assert "container_name" not in worker
    assert "ports" not in worker
    assert "--concurrency=4" in worker["command"]


def test_a_real_smtp_server_and_the_proxy_settings_reach_the_app(tmp_path):
    """What a deployment sets is passed through; what it leaves unset stays unset in the
    containers (null here), so settings' own defaults apply."""
    given = {
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "cases@example.org",
        "EMAIL_HOST_PASSWORD": "an-smtp-password-chosen-for-this-test",
        "EMAIL_USE_TLS": "true",
        "TRUSTED_PROXY_COUNT": "1",
        "BEHIND_TLS_PROXY": "true",
        "ALLOWED_HOSTS": "cases.example.org",
    }
    services = _resolved(tmp_path, **given)["services"]
    for name in APP_SERVICES:
        env = _environment(services[name])
        for variable, value in given.items():
            if variable == "ALLOWED_HOSTS":
                # The healthcheck's own host stays listed.
                assert env[variable] == "cases.example.org,127.0.0.1", name
            else:
                assert env[variable] == value, (name, variable)

    unset = _environment(_resolved(tmp_path)["services"]["web"])
    assert unset["EMAIL_HOST_PASSWORD"] is None
    assert unset["TRUSTED_PROXY_COUNT"] is None


def _readme_blocks():
    """Every fenced code block in README.md, as (language, text)."""
    return re.findall(r"^```(\w*)\n(.*?)^```$", README.read_text(), flags=re.MULTILINE | re.DOTALL)


def _readme_block(containing: str) -> str:
    (block,) = [text for _language, text in _readme_blocks() if containing in text]
    return block


def test_the_readme_secrets_and_proxy_settings_pass_compose_and_the_deploy_check(tmp_path):
    """Deployment's own blocks, run as written: the secrets block writes .env, the proxy's
    settings are added to it; docker-compose accepts it, and the web service's environment,
    as compose resolves it, loads the real settings and passes `manage.py check --deploy`."""
    made = _shell(
        _readme_block("cat > .env <<EOF"), {"PATH": os.environ.get("PATH", "")}, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    env_file = tmp_path / ".env"
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    env_file.write_text(env_file.read_text() + _readme_block("BEHIND_TLS_PROXY=true"))

    result = _docker_compose("config", tmp_path=tmp_path, env_file=env_file)
    assert result.returncode == 0, result.stderr
    env = _environment(yaml.safe_load(result.stdout)["services"]["web"])
    assert env["SITE_URL"] == "https://cases.example.org"
    env = {name: value for name, value in env.items() if value is not None}
    # This machine's database and a folder of the test's own stand in for the containers'.
    env["DATABASE_URL"] = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leakcase"
    )
    env["LEAKCASE_VAR_DIR"] = str(tmp_path / "var")

    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout


def test_every_docker_compose_command_in_the_readme_names_real_services_and_options(tmp_path):
    """No engine here to run them, so each `docker-compose ...` line of README's code blocks
    is held to what can be checked: its subcommand's own --help lists every option it uses,
    and the services it names are in the file."""
    services = set(_compose()["services"])
    lines = [
        line.strip()
        for language, text in _readme_blocks()
        if language in {"sh", ""}
        for line in text.splitlines()
        if line.strip().startswith("docker-compose ")
    ]
    assert len(lines) >= 10, lines
    helps = {}
    for line in lines:
        words = shlex.split(line)[1:]
        subcommand, arguments = words[0], words[1:]
        if subcommand not in helps:
            shown = _docker_compose(subcommand, "--help", tmp_path=tmp_path, **SECRETS)
            assert shown.returncode == 0, (line, shown.stderr)
            helps[subcommand] = shown.stdout
        named = []
        while arguments:
            word = arguments.pop(0)
            if word.startswith("-"):
                option = word.split("=", 1)[0]
                assert re.search(rf"(^|[\s,]){re.escape(option)}\b", helps[subcommand]), (
                    line,
                    option,
                )
                if option in {"-v", "--volume", "--scale", "-e", "-U", "--user"}:
                    value = arguments.pop(0)
                    if option == "--scale":
                        named.append(value.split("=", 1)[0])
            else:
                # exec and run take one service, then its command.
                named.append(word)
                if subcommand in {"exec", "run"}:
                    break
        assert set(named) <= services, (line, named)
        if subcommand in {"exec", "run"}:
            assert named, line


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


def test_the_helplines_support_contacts_reach_every_app_service(tmp_path):
    contacts = "Our helpline | +44 20 7946 0000 | Mon-Fri 10:00-16:00"
    resolved = _resolved(tmp_path, LEAKCASE_SUPPORT_CONTACTS=contacts)
    for name in APP_SERVICES:
        env = _environment(resolved["services"][name])
        assert env["LEAKCASE_SUPPORT_CONTACTS"] == contacts, name
