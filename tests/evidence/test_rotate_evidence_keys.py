"""manage.py rotate_evidence_keys on evidence in S3: a new master key first, every data key
re-wrapped, the old key dropped, and every object still reads back, unchanged in the bucket."""

import hashlib
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from evidence import vault
from evidence.services import evidence_add
from evidence.vault.crypto import EvidenceKeyError

OLD, NEW = os.urandom(32), os.urandom(32)


def test_on_s3_after_rotation_the_old_key_can_go_and_every_object_still_reads(
    s3_evidence, settings, survivor_client, case, survivor, image_upload
):
    settings.EVIDENCE_MASTER_KEYS = {"old": OLD}
    evidence = evidence_add(case=case, upload=image_upload(seed=61), acting_user=survivor)
    stored = {key: s3_evidence.get(key) for key in s3_evidence.names()}
    assert len(stored) == 3

    # The new key first, the old one after it: without rotation, dropping the old key would
    # leave the file unreadable.
    settings.EVIDENCE_MASTER_KEYS = {"new": NEW}
    with pytest.raises(EvidenceKeyError):
        vault.read(evidence)
    settings.EVIDENCE_MASTER_KEYS = {"new": NEW, "old": OLD}
    out = StringIO()
    call_command("rotate_evidence_keys", stdout=out)
    assert out.getvalue().strip() == "1 evidence file(s) re-wrapped under new."

    settings.EVIDENCE_MASTER_KEYS = {"new": NEW}  # the old key is gone
    evidence.refresh_from_db()
    assert evidence.key_id == "new"
    # No object was rewritten: rotation touches wrapped keys in the database only.
    assert {key: s3_evidence.get(key) for key in s3_evidence.names()} == stored
    assert hashlib.sha256(vault.read(evidence)).hexdigest() == evidence.stored_sha256
    for rendition in ("thumbnail", "preview"):
        assert vault.read(evidence, rendition)[:3] == b"\xff\xd8\xff"  # a JPEG again
    response = survivor_client.get(
        reverse("evidence:file", args=[case.reference, evidence.pk, "download"])
    )
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == evidence.stored_sha256

    again = StringIO()
    call_command("rotate_evidence_keys", stdout=again)
    assert again.getvalue().strip() == "0 evidence file(s) re-wrapped under new."
