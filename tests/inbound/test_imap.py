"""The IMAP way in (inbound/imap.py) against a real dovecot on 127.0.0.1
(tests/helpers/dovecot.py): the corpus of real-world shapes APPENDed and polled, each
outcome asserted; crashes, two polls at once, and a mailbox that refuses us."""

import hashlib
import logging

import psycopg
import pytest
from django.db import connection
from imap_tools import BaseMailBox

from inbound.imap import LOCK_KEY, MailboxError, mailbox_poll
from inbound.models import InboundMessage
from inbound.reading import message_id_of
from inbound.tasks import poll_replies_mailbox
from leakcase.celery import app
from takedowns.notices import reply_address
from takedowns.services import takedown_note_ticket_number
from tests.helpers import mail_corpus

# Small enough that the corpus' large message is ~200 kB, not 25 MB, in dovecot and here.
SIZE_LIMIT = 200_000
TICKET = "TK-20481"


@pytest.fixture
def target(emailed_request, notice, settings) -> mail_corpus.Target:
    """The corpus aimed at the emailed request, which the platform's desk gave TICKET."""
    settings.INBOUND_MAX_MESSAGE_BYTES = SIZE_LIMIT
    takedown_note_ticket_number(takedown=emailed_request, ticket_number=TICKET)
    return mail_corpus.Target(
        reply_address=reply_address(emailed_request),
        plain_reply_address=settings.NOTICE_REPLY_TO,
        notice_message_id=notice.message_id,
        notice_subject=notice.subject,
        ticket_number=TICKET,
        platform_domain=emailed_request.platform.domains.order_by("domain").first().domain,
    )


# Every shape an IMAP server stores as sent: dovecot does not keep NUL bytes (IMAP4rev1
# literals cannot carry them), so that shape is sent through the webhooks' tests instead.
CORPUS = [s for s in mail_corpus.shapes(size_limit=SIZE_LIMIT) if s.name != "nul_bytes"]
KNOWN = CORPUS


def outcome(raw: bytes) -> tuple:
    row = InboundMessage.objects.get(message_id=message_id_of(raw))
    return (row.kind, row.status, row.routed_by, row.ticket_number)


def expected(shape: mail_corpus.Shape, target: mail_corpus.Target) -> tuple:
    e = shape.expected
    return (e.kind, e.status, e.routed_by, mail_corpus.expected_ticket(shape, target))


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 20
    assert len(KNOWN) >= 20


def test_every_shape_through_the_mailbox(imap_mailbox, target, emailed_request):
    raws = {shape.name: shape.build(target) for shape in KNOWN}
    imap_mailbox.append(*raws.values())

    result = mailbox_poll(batch_size=len(raws))

    assert (result.filed, result.failed, result.left) == (len(raws), 0, 0)
    wrong = {
        shape.name: (outcome(raws[shape.name]), expected(shape, target))
        for shape in KNOWN
        if outcome(raws[shape.name]) != expected(shape, target)
    }
    assert wrong == {}
    # Broken and hostile ones did not stop anything: everything left the folder, filed away.
    assert imap_mailbox.uids("INBOX") == []
    assert len(imap_mailbox.uids("Filed")) == len(raws)
    assert imap_mailbox.uids("Filed", "UNSEEN") == []
    rows = InboundMessage.objects.all()
    assert rows.count() == len(raws)
    assert {row.source for row in rows} == {f"imap:{imap_mailbox.user}/INBOX"}
    filed_here = rows.filter(takedown=emailed_request, status="filed").count()
    assert filed_here == sum(shape.expected.status == "filed" for shape in KNOWN)
    # What is sealed is the message byte for byte as it was delivered (the one over the size
    # limit excepted: fetched only up to it, test below).
    changed = [
        name
        for name, raw in raws.items()
        if name != "too_large"
        and InboundMessage.objects.get(message_id=message_id_of(raw)).raw_sha256
        != hashlib.sha256(raw).hexdigest()
    ]
    assert changed == []


def test_headers_injected_through_encoded_words_take_no_effect(imap_mailbox, target):
    imap_mailbox.append(mail_corpus.header_injection(target))

    mailbox_poll()

    row = InboundMessage.objects.get()
    assert row.from_address == "support@platform.example"
    assert "victim@example.com" not in row.to_addresses
    assert "attacker@example.com" not in row.from_address + row.to_addresses


def test_no_line_break_survives_in_what_is_read_from_headers(imap_mailbox, target):
    imap_mailbox.append(mail_corpus.header_injection(target))

    mailbox_poll()

    row = InboundMessage.objects.get()
    assert not any(c in row.subject + row.from_address for c in "\r\n")


def test_a_message_over_the_limit_is_fetched_only_up_to_it(imap_mailbox, target):
    """The worker never holds a huge message: one byte past the limit is enough for it to be
    quarantined as too large; the whole of it stays on the server, in the filed folder."""
    raw = mail_corpus.too_large(target, SIZE_LIMIT * 3)
    imap_mailbox.append(raw)

    mailbox_poll()

    row = InboundMessage.objects.get()
    assert (row.status, row.raw_size) == ("quarantined", SIZE_LIMIT + 1)
    assert "over the limit" in row.quarantine_reason
    assert imap_mailbox.sizes("Filed") == [len(raw)]


def test_a_message_someone_already_read_in_a_mail_client_is_filed_too(imap_mailbox, target):
    raw = mail_corpus.gmail_reply(target)
    with imap_mailbox.client() as client:
        client.append(raw, "INBOX", flag_set=[r"\Seen"])

    assert mailbox_poll().filed == 1
    assert InboundMessage.objects.get().status == "filed"


def test_a_crash_between_filing_and_moving_files_the_message_once(
    imap_mailbox, target, monkeypatch
):
    """The connection drops after inbound_receive filed the message, before the server
    was told: the message is still in the folder, and the next poll files it once."""
    raw = mail_corpus.thunderbird_flowed(target)
    imap_mailbox.append(raw)
    real_flag = BaseMailBox.flag

    def connection_drops(self, *args, **kwargs):
        self.client.sock.shutdown(2)  # a real dropped connection, mid-run
        return real_flag(self, *args, **kwargs)

    monkeypatch.setattr(BaseMailBox, "flag", connection_drops)
    with pytest.raises(MailboxError):
        mailbox_poll()
    assert InboundMessage.objects.count() == 1
    assert len(imap_mailbox.uids("INBOX")) == 1

    monkeypatch.setattr(BaseMailBox, "flag", real_flag)
    result = mailbox_poll()

    assert result.filed == 1
    assert InboundMessage.objects.count() == 1
    assert imap_mailbox.uids("INBOX") == []
    assert len(imap_mailbox.uids("Filed")) == 1


def test_the_same_message_delivered_twice_is_filed_once(imap_mailbox, target):
    raw = mail_corpus.gmail_reply(target)
    imap_mailbox.append(raw, raw)

    result = mailbox_poll()

    assert result.filed == 2  # both handed over and filed away on the server
    assert InboundMessage.objects.count() == 1
    assert len(imap_mailbox.uids("Filed")) == 2


def test_a_run_takes_a_batch_and_the_next_run_the_rest(imap_mailbox, target):
    imap_mailbox.append(
        mail_corpus.gmail_reply(target),
        mail_corpus.apple_mail_reply(target),
        mail_corpus.thunderbird_flowed(target),
    )

    first = mailbox_poll(batch_size=2)
    second = poll_replies_mailbox()  # the task beat sends, run here in the test's process

    assert (first.filed, first.left) == (2, 1)
    assert second == {
        "configured": True,
        "locked_out": False,
        "filed": 1,
        "failed": 0,
        "left": 0,
    }
    assert InboundMessage.objects.count() == 3


def test_a_second_poll_while_one_runs_does_nothing(imap_mailbox, target):
    """Two beats during a takeover, or a retry overlapping the next minute's run: the one
    that finds the advisory lock taken returns at once and touches nothing."""
    imap_mailbox.append(mail_corpus.gmail_reply(target))
    other = psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        user=connection.settings_dict["USER"],
        host=connection.settings_dict["HOST"],
        port=connection.settings_dict["PORT"],
        autocommit=True,
    )
    try:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]

        result = mailbox_poll()

        assert (result.locked_out, result.filed) == (True, 0)
        assert InboundMessage.objects.count() == 0
        assert len(imap_mailbox.uids("INBOX")) == 1
        other.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    finally:
        other.close()

    assert mailbox_poll().filed == 1


def test_a_failure_while_filing_leaves_each_message_and_the_poll_goes_on(
    imap_mailbox, target, settings
):
    """Storage failing (here: a path that cannot be a folder, which even root cannot write)
    makes inbound_receive raise for every message: each is tried, logged, left in place;
    once storage is back, the next poll files them all."""
    working = settings.STORAGES
    raws = [mail_corpus.gmail_reply(target), mail_corpus.apple_mail_reply(target)]
    imap_mailbox.append(*raws)
    settings.STORAGES = {
        **working,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": "/dev/null/evidence"},
        },
    }

    result = mailbox_poll()

    assert (result.filed, result.failed) == (0, 2)
    assert len(imap_mailbox.uids("INBOX")) == 2
    settings.STORAGES = working
    assert mailbox_poll().filed == 2
    assert InboundMessage.objects.count() == 2


def test_a_mailbox_that_refuses_the_password_is_retried_and_logged_without_it(
    imap_mailbox, settings, caplog, db
):
    settings.INBOUND_IMAP_PASSWORD = "wrong-secret-password-123"
    with caplog.at_level(logging.WARNING, logger="inbound"), pytest.raises(MailboxError) as raised:
        poll_replies_mailbox()
    assert f"127.0.0.1:{imap_mailbox.port}" in str(raised.value)
    assert "wrong-secret-password-123" not in str(raised.value)
    assert "wrong-secret-password-123" not in caplog.text
    assert "cannot log in to the replies mailbox" in caplog.text


def test_a_mailbox_that_is_not_there_is_an_error_to_retry(settings, db):
    settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_USER = "127.0.0.1", "nobody"
    settings.INBOUND_IMAP_PORT, settings.INBOUND_IMAP_SSL = 1, False  # nothing listens on 1
    with pytest.raises(MailboxError, match="cannot log in"):
        mailbox_poll()


def test_the_poll_is_off_until_a_mailbox_is_set(settings, db):
    settings.INBOUND_IMAP_HOST = ""
    assert mailbox_poll().configured is False


def test_beat_polls_the_mailbox_every_minute():
    entry = app.conf.beat_schedule["poll-replies-mailbox"]
    assert entry["task"] == poll_replies_mailbox.name
    assert entry["schedule"] == 60.0
    # What the task retries with backoff: every connection error becomes this one.
    assert MailboxError in poll_replies_mailbox.autoretry_for
