import asyncio
import email
import email.policy
import os
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import ImageFile

from accounts.models import STAFF_ROLES, Role, User
from cases.models import Case
from cases.services import case_open
from evidence.demo_images import make_image
from evidence.image_open import MAX_PIXELS
from evidence.services import evidence_add

# A real IMAP server (dovecot) for the inbound tests: its fixtures, dovecot_server and
# imap_mailbox, for every test module that asks for them.
pytest_plugins = ["tests.helpers.dovecot"]

# Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls
# from it unless told that this is deliberate. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            *browser_type_launch_args.get("args", []),
            "--no-sandbox",
            "--headless",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _private_evidence_root(settings, tmp_path):
    # Each test writes evidence to its own folder, so tests can look at what was stored.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }


def give_totp(user, secret=None) -> str:
    """Enrol a TOTP authenticator for her, as allauth does at activation; returns the secret
    (also left on user.totp_secret). Staff need one to reach anything (accounts/middleware)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = secret or generate_totp_secret()
    TOTP.activate(user, secret)
    user.totp_secret = secret
    return secret


def tables_holding(text: str) -> list[str]:
    """Every table in the database with a row that holds `text` (any case) in any column:
    each row is read whole as text by PostgreSQL, JSON and audit rows included."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
        tables = sorted(name for (name,) in cursor.fetchall())
        found = []
        for table in tables:
            # The table names come from the catalogue just read, not from input.
            cursor.execute(
                f'SELECT EXISTS (SELECT 1 FROM "{table}" AS t '  # noqa: S608
                "WHERE strpos(lower(t::text), lower(%s)) > 0)",
                [text],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def migrate_to(targets=None) -> None:
    """Migrate the test database to `targets` ([(app, migration or None)]), or to the latest
    of every app. Tests that go back in the history mark themselves transactional and
    come forward again in a finally."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for this secret now (or at a given time)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if at is None:
        # The server allows no drift: a code read in a period's last seconds can reach it
        # after the roll-over on a loaded machine. Wait for the next one, as a person would.
        left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
        if left < 3:
            time.sleep(left + 0.1)
    moment = time.time() if at is None else at
    return format_hotp_value(hotp_value(secret, int(moment) // app_settings.TOTP_PERIOD))


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """The cache is the shared Redis db: rate limits and used TOTP codes of one test must not
    reach the next. Only the cache's keys go; Celery's broker keys in the same db stay."""
    from django.core.cache import cache

    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    client = getattr(cache, "_cache", None)
    if prefix and hasattr(client, "get_client"):
        redis = client.get_client(write=True)
        keys = list(redis.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            redis.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language and leaves it so: a request in another
    (LocaleMiddleware, her account's language) leaves that language active in the thread
    that made it, and the next test would read its messages in it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def confirm_email(user):
    """Her login address as confirmed, as after she opened the link allauth sent her. Weekly
    emails go only to confirmed addresses."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def _user(email, role, **extra):
    """A user as most are after their first week: her address confirmed; staff enrolled in
    two-step login."""
    user = User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)
    confirm_email(user)
    if role in STAFF_ROLES:
        give_totp(user)
    return user


@pytest.fixture
def survivor(db):
    return _user("survivor@example.test", Role.SURVIVOR)


@pytest.fixture
def other_survivor(db):
    return _user("other@example.test", Role.SURVIVOR)


@pytest.fixture
def caseworker(db):
    return _user("caseworker@example.test", Role.CASEWORKER, display_name="Casey")


@pytest.fixture
def other_caseworker(db):
    return _user("caseworker2@example.test", Role.CASEWORKER, display_name="Corey")


@pytest.fixture
def supervisor(db):
    return _user("supervisor@example.test", Role.SUPERVISOR, display_name="Sam")


@pytest.fixture
def open_cases(db):
    """Makes n plain cases of one survivor in one query: the caseload's and queue's tests."""

    def make(survivor, n):
        cases = [
            Case(survivor=survivor, pseudonym=f"Case {i}", reference=f"LC-{i:06d}")
            for i in range(n)
        ]
        Case.objects.bulk_create(cases)
        return cases

    return make


@pytest.fixture
def case(survivor):
    return case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)


@pytest.fixture
def consent(case, survivor):
    """She has agreed that LeakCase writes to platforms for her: without it nothing is sent
    or marked submitted for her (takedowns.services)."""
    from cases.services import case_set_consent

    return case_set_consent(case=case, given=True, acting_user=survivor)


@pytest.fixture
def pillow_decodes(monkeypatch):
    """The size of every image Pillow is asked to decode (ImageFile.load). One past
    MAX_PIXELS is refused here, as damaged, so code that would decode a bomb fails the
    test's assertion instead of taking a gigabyte."""
    seen = []
    real = ImageFile.ImageFile.load

    def recording(self):
        seen.append(self.size)
        if self.size[0] * self.size[1] > MAX_PIXELS:
            raise OSError("the test refused to decode this")
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording)
    return seen


@pytest.fixture
def image_upload():
    def make(name="screenshot.jpg", **kwargs):
        return SimpleUploadedFile(name, make_image(**kwargs), content_type="image/jpeg")

    return make


@pytest.fixture
def platform_directory(transactional_db):
    """Transactional tests commit for real, and Django empties every table after each one,
    including the platform directory that migration takedowns/0005 writes; put it back.
    (serialized_rollback did not survive other tests running first in one session.)"""
    from platforms import platform_directory
    from platforms.models import Platform, PlatformDomain

    if not Platform.objects.exists():
        platform_directory.sync(Platform, PlatformDomain)


@pytest.fixture
def in_another_connection(transactional_db):
    """Run work(*args, **kwargs) to the end in a thread of its own, which Django gives a
    database connection of its own: a colleague's request or a worker, committing for real
    while the test holds rows it read before. Returns what work returned, raises what it
    raised. Tests using it commit for real: mark them django_db(transaction=True)."""

    def run(work, *args, **kwargs):
        outcome = {}

        def target():
            try:
                outcome["value"] = work(*args, **kwargs)
            except BaseException as exc:  # handed to the test's thread below
                outcome["error"] = exc
            finally:
                connection.close()

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    return run


# --- a real SMTP server on 127.0.0.1, for emails of every kind ---------------------------


class Recorder:
    """Keeps every message it accepts. `answer(n, envelope)` may return an SMTP error reply
    for the n-th message (1-based); `hold` makes the n-th message wait, before the server
    answers, until the test releases it (to kill a sender at the worst moment)."""

    def __init__(self):
        self.messages = []
        self.answer = None
        self.hold_at = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self._count = 0

    async def handle_DATA(self, server, session, envelope):
        self._count += 1
        n = self._count
        if self.answer is not None and (reply := self.answer(n, envelope)):
            return reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        if self.hold_at == n:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "250 Message accepted for delivery"

    def recipients(self):
        return [to for tos, _ in self.messages for to in tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    recorder.port = controller.port
    yield recorder
    recorder.release.set()
    controller.stop()


@pytest.fixture
def survivor_client(client, survivor):
    client.force_login(survivor)
    return client


@pytest.fixture
def evidence(case, survivor, image_upload):
    return evidence_add(case=case, upload=image_upload(), acting_user=survivor)


# --- a real S3 API on 127.0.0.1 (moto's server mode), for evidence in object storage ------


@pytest.fixture(scope="session")
def s3_server():
    """One moto_server for the session, on a free port; buckets keep tests apart."""
    from tests.helpers.s3 import AWS_ENV, MotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_ENV.items():
            patch.setenv(name, value)
        server = MotoServer(free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def s3_evidence(s3_server, settings, tmp_path):
    """Evidence storage is a fresh bucket on the test's S3 server, configured by the function
    settings.py uses (leakcase.env.evidence_storage). Returns the bucket (a boto3 client on
    it, and what it holds)."""
    from django.core.files.storage import storages

    from leakcase.env import evidence_storage
    from tests.helpers.s3 import new_bucket, only_to

    bucket = new_bucket(s3_server)
    configured = evidence_storage(bucket.env, default_root=str(tmp_path / "not-used"))
    assert configured["OPTIONS"]["endpoint_url"] == s3_server.endpoint
    settings.STORAGES = {**settings.STORAGES, "default": configured}
    only_to(storages["default"].connection.meta.client, s3_server.endpoint)
    return bucket
