"""Erasure leaves no file, row or hash of hers anywhere, only anonymous outcomes for platform
figures and that an erasure happened."""

import datetime as dt
import os

import pytest
from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from cases.programme_services import programme_case_record
from cases.services import (
    case_open,
    case_set_consent,
)
from data_rights.services import account_erase
from evidence.services import sightings_log_pasted
from takedowns import selectors as takedown_selectors
from takedowns.models import AnonymousOutcome, TakedownRequest
from takedowns.services import platform_figures_refresh, takedown_update_draft, takedowns_draft
from tests.conftest import PASSWORD


def platform_figures():
    """The platform figures as the page reads them: the summary brought up to date first."""
    platform_figures_refresh()
    return takedown_selectors.platform_figures()


def _every_row_as_text():
    """Every row of every table, serialised: where anything of hers could hide."""
    for model in apps.get_models():
        for row in model.objects.all().iterator():
            yield model._meta.label, serializers.serialize("json", [row])


def test_erasure_leaves_no_file_row_or_hash_of_hers(
    client, survivor, two_survivors, settings, django_capture_on_commit_callbacks
):
    (case, evidence, reference), (their_case, their_evidence, _) = two_survivors
    programme_case_record(
        case=case,
        programme="take_it_down",
        case_number="TID-Rose-7",
        registered_on=dt.date(2026, 11, 3),
        withdrawn_on=None,
        acting_user=survivor,
    )
    traces = [
        "TID-Rose-7",
        survivor.email,
        case.reference,
        "https://x.com/rose/1",
        "imgur.com/r1",
        "SHARED-Rose",
        "INTERNAL-Rose",
        "Signer Rose",
        "T-Rose",
        evidence.sha256,
        str(evidence.pk),
        reference.phash_hex,
        str(reference.phash),
    ]
    her_id = survivor.pk
    storage_root = settings.STORAGES["default"]["OPTIONS"]["location"]
    her_folder = os.path.join(storage_root, "evidence", str(evidence.pk))
    assert os.path.isdir(her_folder)
    sent_before = {f.platform: f.sent for f in platform_figures()}

    client.force_login(survivor)
    wrong = client.post(reverse("accounts:erase"), {"password": "nope", "confirm": "ERASE"})
    assert wrong.status_code == 400 and User.objects.filter(pk=her_id).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:erase"), {"password": PASSWORD, "confirm": "ERASE"}
        )
    assert response.status_code == 302

    assert not User.objects.filter(pk=her_id).exists()
    for label, text in _every_row_as_text():
        for trace in traces:
            assert trace not in text, (label, trace)
    assert not os.path.exists(her_folder) or os.listdir(her_folder) == []
    # The other survivor's case and files are untouched.
    assert their_case.__class__.objects.filter(pk=their_case.pk).exists()
    assert os.path.isdir(os.path.join(storage_root, "evidence", str(their_evidence.pk)))
    # What platforms did is still counted, anonymously.
    assert AnonymousOutcome.objects.count() == 1
    assert {f.platform: f.sent for f in platform_figures()} == sent_before
    assert TakedownRequest.objects.count() == 1
    # Logged out.
    assert client.get(reverse("cases:list")).status_code == 302


def test_erasure_needs_the_word_and_the_password(survivor, two_survivors):
    with pytest.raises(ValidationError):
        account_erase(user=survivor, password="wrong")
    assert User.objects.filter(pk=survivor.pk).exists()


def test_an_outcome_she_recorded_and_nobody_confirmed_is_kept_as_none_after_erasure(
    survivor, two_survivors
):
    """Erasure keeps what platforms did, anonymously; what she said a platform did, and
    staff never checked, is kept as no outcome yet, as the figures counted it before."""
    from takedowns.services import takedown_record_reply

    (case, _, _), _theirs = two_survivors
    request = TakedownRequest.objects.get(case=case)
    takedown_record_reply(
        takedown=request, body="Removed, they said.", decision="removed", acting_user=survivor
    )
    before = {f.platform: (f.sent, f.removed) for f in platform_figures()}
    assert before["X (Twitter)"] == (2, 0)
    account_erase(user=survivor, password=PASSWORD)
    outcome = AnonymousOutcome.objects.get()
    assert (outcome.status, outcome.removed_at) == ("sent", None)
    assert {f.platform: (f.sent, f.removed) for f in platform_figures()} == before


def test_erasure_takes_the_emails_that_held_her_out_of_the_outbox(
    survivor, other_survivor, caseworker
):
    """Her notices (one refused, its text still kept for another try; one sent) and the
    invitation sent to her address are emails with no account of hers on them: erasure
    deletes them with her cases. Another survivor's stay."""
    from unittest import mock

    from cases.services import (
        case_open_for_caller,
        invitation_claim,
        invitation_email_send,
        invitation_issue,
    )
    from outbox.models import EmailKind, OutgoingEmail
    from takedowns.services import takedown_send_email
    from tests.conftest import tables_holding

    def emailed_notice(owner, name, url):
        case = case_open(survivor=owner, pseudonym=name, acting_user=owner)
        case_set_consent(case=case, given=True, acting_user=owner)
        sightings = sightings_log_pasted(case=case, text=url, acting_user=owner).saved
        (request,) = takedowns_draft(case=case, sightings=sightings, acting_user=caseworker)
        takedown_update_draft(
            takedown=request,
            acting_user=caseworker,
            signer_name=f"Signer {name}",
            content_description="photos",
            confirms_no_consent=True,
            confirms_good_faith=True,
        )
        return request

    mine = emailed_notice(survivor, "Rose", "https://www.dropbox.com/s/rose/1.jpg")
    refused = OSError("down")
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=refused
        ),
        pytest.raises(ValidationError, match="could not be sent"),
    ):
        takedown_send_email(takedown=mine, acting_user=caseworker)
    takedown_send_email(takedown=mine, acting_user=caseworker)
    theirs = emailed_notice(other_survivor, "Iris", "https://www.dropbox.com/s/iris/1.jpg")
    takedown_send_email(takedown=theirs, acting_user=caseworker)
    caller_case = case_open_for_caller(
        pseudonym="Caller Rose", contact_email=survivor.email, acting_user=caseworker
    )
    invitation_email_send(case=caller_case, link="https://leakcase.example/invitations/x/")
    token = invitation_issue(case=caller_case, acting_user=caseworker)
    invitation_claim(token=token, user=survivor)
    assert OutgoingEmail.objects.filter(kind=EmailKind.NOTICE).count() == 3
    assert tables_holding("Signer Rose") != []  # the refused notice's text, for another try

    account_erase(user=survivor, password=PASSWORD)

    for trace in ("Signer Rose", "dropbox.com/s/rose", survivor.email):
        assert tables_holding(trace) == [], trace
    (left,) = OutgoingEmail.objects.all()
    assert (left.kind, left.status) == (EmailKind.NOTICE, "sent")
    assert left.pk == theirs.correspondence.get().email_id


def test_on_s3_erasure_deletes_her_objects_from_the_bucket_and_only_hers(
    s3_evidence, survivor, two_survivors, django_capture_on_commit_callbacks
):
    (_case, evidence, _ref), (_their_case, their_evidence, _) = two_survivors
    hers, theirs = f"evidence/{evidence.pk}/", f"evidence/{their_evidence.pk}/"
    assert len(s3_evidence.names(hers)) == 3  # the file, its thumbnail and its preview

    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=survivor, password=PASSWORD)

    assert s3_evidence.names(hers) == []
    assert len(s3_evidence.names(theirs)) == 3


def test_on_s3_an_erasure_rolled_back_keeps_her_objects_and_rows(
    s3_evidence, survivor, two_survivors, django_capture_on_commit_callbacks
):
    (case, evidence, _ref), _theirs = two_survivors
    before = s3_evidence.names(f"evidence/{evidence.pk}/")
    her_id = survivor.pk

    # The erasure ran, then the transaction around it failed: nothing may be gone.
    with (
        django_capture_on_commit_callbacks(execute=True) as deletions,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        account_erase(user=survivor, password=PASSWORD)
        raise RuntimeError("what came after the erasure failed")

    assert deletions == []
    assert s3_evidence.names(f"evidence/{evidence.pk}/") == before
    assert len(before) == 3
    assert User.objects.filter(pk=her_id).exists()
    assert case.evidence_files.filter(pk=evidence.pk).exists()


def test_erasure_takes_the_platforms_emails_on_her_requests_out_of_storage(
    survivor, two_survivors, settings, django_capture_on_commit_callbacks
):
    from pathlib import Path

    from inbound.models import InboundAttachment, InboundMessage
    from inbound.services import inbound_receive
    from tests.helpers import mail

    (case, _, _), (their_case, _, _) = two_survivors
    received = {}
    for who, owner_case in (("hers", case), ("theirs", their_case)):
        request = owner_case.takedowns.get()
        answer = mail.with_attachment(
            mail.reply_to_request(request, body="We have removed it."),
            "decision.pdf",
            b"%PDF-1.4",
            "application/pdf",
        )
        received[who] = inbound_receive(raw=answer.as_bytes(), source="imap:INBOX")
    unfiled = inbound_receive(raw=mail.reply(body="Which case?").as_bytes(), source="imap:INBOX")
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"], "inbound")

    def stored():
        return {p.parent.name for p in root.rglob("*.sealed")}

    hers = {str(received["hers"].pk), str(received["hers"].attachments.get().pk)}
    assert hers <= stored()
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=survivor, password=PASSWORD)
    assert not InboundMessage.objects.filter(pk=received["hers"].pk).exists()
    assert not InboundAttachment.objects.filter(message_id=received["hers"].pk).exists()
    assert not hers & stored()
    theirs = {str(received["theirs"].pk), str(received["theirs"].attachments.get().pk)}
    assert theirs | {str(unfiled.pk)} <= stored()
