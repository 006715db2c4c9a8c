"""Test settings: the real stack (PostgreSQL, Redis), a fast password hasher, locmem mail."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leakcase")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# Two master keys, so rotation can be tested; "k2" is current. Test-only keys.
os.environ.setdefault(
    "LEAKCASE_MASTER_KEYS",
    "k2:" + "Mg" * 21 + "y=,k1:" + "MQ" * 21 + "x=",
)
os.environ.setdefault("LEAKCASE_VAR_DIR", "/tmp/leakcase-test-var")  # noqa: S108

from leakcase.settings import *  # noqa: F403
from leakcase.settings import DATABASES

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("The test suite runs on PostgreSQL; set DATABASE_URL to a postgres:// URL")

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests get locmem from pytest-django; a test that runs a command in a subprocess
# points it at its own SMTP server through the environment.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
