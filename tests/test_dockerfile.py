"""Dockerfile: the build step that runs the app's settings (collectstatic) passes as written.

There is no Docker engine here, so the step's own shell command is run as the build would
run it, with the build's environment: no SECRET_KEY, no master keys, DEBUG unset (off).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


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
