"""`manage.py check --deploy --fail-level WARNING` passes with production settings: the real
settings module, fed only what a production environment gives it, in a fresh process."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path, **overrides):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "leakcase.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "cases.example.org",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_COOKIES": "true",
        "BEHIND_TLS_PROXY": "true",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leakcase"
        ),
        "LEAKCASE_MASTER_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "LEAKCASE_VAR_DIR": str(tmp_path / "var"),
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def _check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = _check(_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "warning"),
    [
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECURE_COOKIES": "false"}, "security.W012"),
        ({"SECRET_KEY": "short"}, "security.W009"),
    ],
)
def test_the_check_has_teeth(tmp_path, override, warning):
    """Each production setting the check relies on, turned off, fails it."""
    result = _check(_production_env(tmp_path, **override))
    assert result.returncode != 0 and warning in result.stdout + result.stderr


def test_the_check_refuses_the_key_the_compose_file_used_to_ship(tmp_path):
    """A deployment started from the old docker-compose.yml defaults does not get as far as
    the check: settings name the published key."""
    result = _check(
        _production_env(tmp_path, SECRET_KEY="change-me-this-default-key-is-public-and-not-secret")
    )
    assert result.returncode != 0
    assert "SECRET_KEY is a published demo value" in result.stderr


def test_the_production_headers(client, settings):
    """The same settings, seen from a response (the test settings share them)."""
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert settings.CSRF_COOKIE_HTTPONLY and settings.SESSION_COOKIE_HTTPONLY
