"""manage.py rotate_inbound_keys: after it, the old master key can go and every received
message and attachment still opens."""

import os
from io import StringIO

import pytest
from django.core.management import call_command

from evidence.vault.crypto import EvidenceKeyError
from inbound import vault
from inbound.services import inbound_receive
from tests.helpers import mail

OLD, NEW = os.urandom(32), os.urandom(32)


def test_after_rotation_the_old_key_can_go(db, settings):
    settings.EVIDENCE_MASTER_KEYS = {"old": OLD}
    raw = mail.with_attachment(
        mail.reply(body="See attached."), "a.pdf", b"%PDF-1.4 x", "application/pdf"
    ).as_bytes()
    message = inbound_receive(raw=raw, source="imap:INBOX")
    settings.EVIDENCE_MASTER_KEYS = {"new": NEW}
    with pytest.raises(EvidenceKeyError):
        vault.read_raw(message)
    settings.EVIDENCE_MASTER_KEYS = {"new": NEW, "old": OLD}
    out = StringIO()
    call_command("rotate_inbound_keys", stdout=out)
    assert out.getvalue().strip() == "1 received message(s) re-wrapped under new."
    settings.EVIDENCE_MASTER_KEYS = {"new": NEW}
    message.refresh_from_db()
    assert vault.read_raw(message) == raw
    attachment = message.attachments.get()
    assert vault.read_attachment(attachment) == b"%PDF-1.4 x"
    assert vault.attachment_name(attachment) == "a.pdf"
    again = StringIO()
    call_command("rotate_inbound_keys", stdout=again)
    assert again.getvalue().strip() == "0 received message(s) re-wrapped under new."
