"""Settings from the environment: PostgreSQL always (local by default), a file broker when
REDIS_URL is unset, and clear refusals."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
django.setup()
from django.conf import settings
from leakcase.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "broker": app.conf.broker_url,
    "email": settings.EMAIL_BACKEND,
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "storage": settings.STORAGES["default"]["BACKEND"],
    "bucket": settings.STORAGES["default"].get("OPTIONS", {}).get("bucket_name"),
    "evidence_storage": settings.STORAGES["default"],
}))
"""


def _settings_with(env, tmp_path):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "REDIS_URL", "EMAIL_HOST", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    clean.update(
        {"DJANGO_SETTINGS_MODULE": "leakcase.settings", "LEAKCASE_VAR_DIR": str(tmp_path), **env}
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    return result


def test_without_urls_it_uses_local_postgresql_and_a_file_broker(tmp_path):
    result = _settings_with({"DEBUG": "true"}, tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["broker"].startswith("sqla+sqlite:///")
    assert found["email"] == "django.core.mail.backends.console.EmailBackend"


def test_anything_but_postgresql_is_refused_by_name(tmp_path):
    # Audit triggers and SKIP LOCKED claims need PostgreSQL; SQLite would fail later, worse.
    result = _settings_with({"DEBUG": "true", "DATABASE_URL": "sqlite:///x.db"}, tmp_path)
    assert result.returncode != 0
    assert "DATABASE_URL must be a postgres:// URL" in result.stderr


def test_with_urls_it_uses_the_real_stack(tmp_path):
    result = _settings_with(
        {
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://u:p@db.internal:5432/leakcase",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "EMAIL_HOST": "smtp.internal",
            "ALLOWED_HOSTS": "leakcase.example, www.leakcase.example",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["broker"] == "redis://cache.internal:6379/0"
    assert found["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert found["debug"] is False
    assert found["hosts"] == ["leakcase.example", "www.leakcase.example"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _settings_with({}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_is_named(tmp_path):
    result = _settings_with({"DEBUG": "maybe"}, tmp_path)
    assert "DEBUG must be true or false" in result.stderr


def test_evidence_goes_to_s3_compatible_storage_by_setting(tmp_path):
    result = _settings_with({"DEBUG": "true", "EVIDENCE_S3_BUCKET": "leakcase-evidence"}, tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert (found["storage"], found["bucket"]) == (
        "storages.backends.s3.S3Storage",
        "leakcase-evidence",
    )
    local = json.loads(_settings_with({"DEBUG": "true"}, tmp_path).stdout)
    assert local["storage"] == "django.core.files.storage.FileSystemStorage"


def test_every_s3_variable_reaches_the_storage_the_tests_run_against(tmp_path):
    """settings.py and the tests' S3 fixture (tests/conftest.py: s3_evidence) build the
    storage with one function, leakcase.env.evidence_storage: this is its production call."""
    result = _settings_with(
        {
            "DEBUG": "true",
            "EVIDENCE_S3_BUCKET": "leakcase-evidence",
            "EVIDENCE_S3_ENDPOINT_URL": "https://s3.example.test",
            "EVIDENCE_S3_REGION": "eu-central-1",
            "EVIDENCE_S3_ACCESS_KEY": "access",
            "EVIDENCE_S3_SECRET_KEY": "secret",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["evidence_storage"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "leakcase-evidence",
            "endpoint_url": "https://s3.example.test",
            "region_name": "eu-central-1",
            "access_key": "access",
            "secret_key": "secret",
            "default_acl": "private",  # never public-read, whatever the bucket's default
            "querystring_auth": True,  # no unsigned URL to an object
            "file_overwrite": False,  # a new file never replaces another's object
        },
    }
    local = _settings_with({"DEBUG": "true", "EVIDENCE_ROOT": str(tmp_path / "ev")}, tmp_path)
    assert json.loads(local.stdout)["evidence_storage"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "ev")},
    }


# What docker-compose.yml shipped as defaults, the Dockerfile's old build-time key, and the
# development fallback: anyone can read them.
PUBLISHED_SECRET_KEYS = (
    "change-me-this-default-key-is-public-and-not-secret",
    "collectstatic-only-not-a-real-key",
    "insecure-development-key-never-use-in-production",
)
PUBLISHED_MASTER_KEY = "local:bG9jYWwtZGVtby1rZXktcHVibGljLWNoYW5nZS1tZSE="
A_SECRET_MASTER_KEY = "k9:" + "Sw" * 21 + "s="


@pytest.mark.parametrize("key", PUBLISHED_SECRET_KEYS)
def test_production_refuses_a_published_secret_key_by_name(tmp_path, key):
    result = _settings_with({"SECRET_KEY": key}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is a published demo value" in result.stderr


def test_production_refuses_the_published_master_key_first_by_name(tmp_path):
    result = _settings_with(
        {"SECRET_KEY": "x" * 50, "LEAKCASE_MASTER_KEYS": PUBLISHED_MASTER_KEY}, tmp_path
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: LEAKCASE_MASTER_KEYS starts with a published" in result.stderr


def test_a_published_master_key_after_a_secret_one_still_opens_old_files(tmp_path):
    # A deployment from the old compose file adds a secret key first and rotates
    # (manage.py rotate_evidence_keys); the old key must still unwrap until then.
    keys = f"{A_SECRET_MASTER_KEY},{PUBLISHED_MASTER_KEY}"
    result = _settings_with({"SECRET_KEY": "x" * 50, "LEAKCASE_MASTER_KEYS": keys}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_demo_runs_on_the_published_keys_with_debug_on(tmp_path):
    # bin/demo: DEBUG on, no keys of its own.
    result = _settings_with(
        {"DEBUG": "true", "SECRET_KEY": PUBLISHED_SECRET_KEYS[0], "LEAKCASE_MASTER_KEYS": ""},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True


def test_support_contacts_are_read_from_the_environment(tmp_path):
    from leakcase.env import parse_support_contacts

    contacts = parse_support_contacts(
        "Our helpline | +44 (0)20 7946 0000 | Mon-Fri 10:00-16:00; Talk online | https://example.org/chat"
    )
    assert contacts == [
        {
            "name": "Our helpline",
            "phone": "+44 (0)20 7946 0000",
            "tel": "+4402079460000",
            "url": "",
            "hours": "Mon-Fri 10:00-16:00",
        },
        {
            "name": "Talk online",
            "phone": "",
            "tel": "",
            "url": "https://example.org/chat",
            "hours": "",
        },
    ]
    assert parse_support_contacts("") == []


def test_a_malformed_support_contact_is_named(tmp_path):
    result = _settings_with(
        {"DEBUG": "true", "LEAKCASE_SUPPORT_CONTACTS": "Helpline | call us maybe"}, tmp_path
    )
    assert result.returncode != 0
    assert "LEAKCASE_SUPPORT_CONTACTS" in result.stderr
    assert "'call us maybe' is neither a phone number nor an http(s) address" in result.stderr


def test_an_unknown_log_format_is_named(tmp_path):
    result = _settings_with({"DEBUG": "true", "LOG_FORMAT": "xml"}, tmp_path)
    assert result.returncode != 0
    assert "LOG_FORMAT is 'plain' or 'json', not 'xml'" in result.stderr


def test_a_short_metrics_token_is_refused(tmp_path):
    result = _settings_with({"DEBUG": "true", "METRICS_TOKEN": "guessable"}, tmp_path)
    assert result.returncode != 0
    assert "METRICS_TOKEN must be at least 32 characters" in result.stderr
    result = _settings_with({"DEBUG": "true", "METRICS_TOKEN": "x" * 32}, tmp_path)
    assert result.returncode == 0, result.stderr
