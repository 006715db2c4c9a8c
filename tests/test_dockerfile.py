"""Dockerfile: the build step that runs the app's settings (collectstatic) passes as written,
and the image holds what docker-compose.yml's stack asks of it.

There is no Docker engine here, so the step's own shell command is run as the build would
run it, with the build's environment: no SECRET_KEY, no master keys, DEBUG unset (off).
"""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_FILE = ROOT / "docker-compose.yml"


def _run_instruction(containing: str) -> str:
    """The shell command of the one RUN instruction that contains `containing`, with its
    continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    (command,) = [
        line.removeprefix("RUN ").strip()
        for line in text.splitlines()
        if line.startswith("RUN ") and containing in line
    ]
    return command


def test_the_static_files_step_builds_without_secrets_and_ships_none(tmp_path):
    command = _run_instruction("collectstatic")
    env = {
        # `python` in the image is the one with the app's dependencies: here, this venv's.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "LEAKCASE_VAR_DIR": str(tmp_path / "var"),
    }

    result = subprocess.run(
        ["sh", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "static" / "staticfiles.json").exists()
    # Keys made for the build live for that one command: none is written into the step.
    assert not re.search(r"SECRET_KEY=[\w-]", command)
    assert not re.search(r"LEAKCASE_MASTER_KEYS=\w+:[A-Za-z0-9+/]{20}", command)


def test_the_image_backs_up_the_compose_database_with_client_tools_as_new_as_it():
    """bin/backup and bin/restore run pg_dump / pg_restore from the app image, which refuse or
    misread a server newer than themselves: the image's client is the compose server's major."""
    (client,) = re.findall(r"postgresql-client-(\d+)", DOCKERFILE.read_text())
    server = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["postgres"]["image"]

    assert server == f"postgres:{client}"
    # The client's version comes from the base image's Debian release: it is named.
    (base,) = re.findall(r"^FROM (\S+)", DOCKERFILE.read_text(), flags=re.MULTILINE)
    assert base.endswith("-trixie"), base


def test_the_image_installs_the_evidence_backend_the_compose_stack_uses():
    """The stack keeps evidence in S3 (EVIDENCE_S3_BUCKET), which settings serve with
    django-storages: the s3 extra that brings it is installed."""
    app_env = yaml.safe_load(COMPOSE_FILE.read_text())["x-app"]["environment"]
    assert app_env["EVIDENCE_S3_BUCKET"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    s3 = pyproject["project"]["optional-dependencies"]["s3"]
    assert any(requirement.startswith("django-storages[s3]") for requirement in s3)

    command = _run_instruction("pip install")
    (installed,) = re.findall(r"\.\[([\w,]+)\]", command)
    assert "s3" in installed.split(","), command
    assert "-c constraints.txt" in command
