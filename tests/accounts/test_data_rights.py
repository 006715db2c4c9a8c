"""A survivor's export holds everything of hers and nothing of anyone else's; erasure leaves
no file, row or hash of hers anywhere, only anonymous outcomes for platform figures."""

import datetime as dt
import hashlib
import io
import json
import os
import zipfile

import pytest
import time_machine
from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import account_erase
from cases.services import (
    case_assign,
    case_open,
    case_set_consent,
    case_set_notice_contact,
    note_add,
)
from digests.models import WeeklyStatus
from digests.services import digests_claim_due, weekly_status_update
from evidence.demo_images import make_image
from evidence.services import evidence_add, reference_register, sightings_log_pasted
from takedowns.models import AnonymousOutcome, TakedownRequest
from takedowns.selectors import platform_figures
from takedowns.services import takedown_mark_submitted, takedown_update_draft, takedowns_draft
from tests.conftest import PASSWORD


def _fill_case(owner, caseworker, *, name, urls, seed):
    case = case_open(survivor=owner, pseudonym=name, acting_user=owner)
    # She consents, and chooses her own address for notices (it is in the one below).
    case_set_consent(case=case, given=True, acting_user=owner)
    case_set_notice_contact(case=case, notice_contact="own_email", acting_user=owner)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sightings = sightings_log_pasted(case=case, text="\n".join(urls), acting_user=owner).saved
    evidence = evidence_add(
        case=case,
        upload=SimpleUploadedFile(f"IMG_{name}.jpg", make_image(seed=seed)),
        acting_user=owner,
        sighting=sightings[0],
    )
    reference = reference_register(case=case, data=make_image(seed=seed + 1), acting_user=owner)
    note_add(case=case, body=f"SHARED-{name}", visibility="shared", acting_user=caseworker)
    note_add(case=case, body=f"INTERNAL-{name}", visibility="internal", acting_user=caseworker)
    (request,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(
        takedown=request,
        acting_user=caseworker,
        signer_name=f"Signer {name}",
        contact_email=owner.email,
        content_description="photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    takedown_mark_submitted(takedown=request, ticket_number=f"T-{name}", acting_user=caseworker)
    return case, evidence, reference


@pytest.fixture
def two_survivors(survivor, other_survivor, caseworker):
    mine = _fill_case(
        survivor,
        caseworker,
        name="Rose",
        urls=["https://x.com/rose/1", "https://imgur.com/r1"],
        seed=1,
    )
    theirs = _fill_case(
        other_survivor, caseworker, name="Iris", urls=["https://x.com/iris/1"], seed=50
    )
    return mine, theirs


def _export(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:export"), {"password": PASSWORD})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_export_holds_everything_of_hers_and_nothing_else(client, survivor, two_survivors):
    (case, evidence, reference), (their_case, their_evidence, _) = two_survivors
    weekly_status_update(
        user=survivor, enabled=True, weekday=0, hour=9, time_zone="Europe/Dublin", quiet_weeks=True
    )
    WeeklyStatus.objects.filter(user=survivor).update(next_digest_at=timezone.now())
    digests_claim_due()
    archive = _export(client, survivor)
    names = archive.namelist()
    everything = b"".join(archive.read(n) for n in names)
    data = json.loads(archive.read(f"cases/{case.reference}/case.json"))
    assert {s["url"] for s in data["sightings"]} == {
        "https://x.com/rose/1",
        "https://imgur.com/r1",
    }
    assert [n["text"] for n in data["notes_shared_with_you"]] == ["SHARED-Rose"]
    assert data["reference_hashes"][0]["phash"] == reference.phash_hex
    account = json.loads(archive.read("account.json"))
    assert account["email"] == survivor.email
    assert account["weekly_email"]["time_zone"] == "Europe/Dublin"
    assert [e["said"]["links_reported"] for e in account["weekly_emails"]] == [2]
    assert data["takedown_requests"][0]["notice_as_sent"].startswith("To: X (Twitter)")
    assert f"cases/{case.reference}/evidence/{evidence.pk}.jpg" in names
    # The file's own name, sealed at rest, is hers to have back.
    assert [e["name_as_uploaded"] for e in data["evidence"]] == ["IMG_Rose.jpg"]
    # Decrypted, and the manifest's sums hold.
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    assert {e["path"] for e in manifest["files"]} == set(names) - {"manifest.json"}
    # Nothing of hers kept back from her, nothing of anyone else's given to her.
    assert b"INTERNAL-Rose" not in everything
    for foreign in (
        their_case.reference,
        "iris",
        "Iris",
        str(their_evidence.pk),
        their_evidence.sha256,
    ):
        assert foreign.encode() not in everything


def test_export_needs_the_password_again(client, survivor, two_survivors):
    client.force_login(survivor)
    response = client.post(reverse("accounts:export"), {"password": "not-it"})
    assert response.status_code == 400
    assert "not right" in response.content.decode()


def test_staff_have_no_export_or_erase_page(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("accounts:export")).status_code == 404
    assert client.get(reverse("accounts:erase")).status_code == 404


def _every_row_as_text():
    """Every row of every table, serialised: where anything of hers could hide."""
    for model in apps.get_models():
        for row in model.objects.all().iterator():
            yield model._meta.label, serializers.serialize("json", [row])


def test_erasure_leaves_no_file_row_or_hash_of_hers(
    client, survivor, two_survivors, settings, django_capture_on_commit_callbacks
):
    (case, evidence, reference), (their_case, their_evidence, _) = two_survivors
    traces = [
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


def test_the_export_downloads_under_a_neutral_name(client, survivor, two_survivors):
    """A downloads folder is seen by whoever borrows the device: no name of a case, no
    reference, nothing that says what the service is for."""
    (case, _, _), _ = two_survivors
    with time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(survivor)  # at that time, or her session is long idle
        response = client.post(reverse("accounts:export"), {"password": PASSWORD})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition == 'attachment; filename="export-2026-12-05.zip"'
    for telling in (case.reference, case.pseudonym, "leak", "intimate", "evidence"):
        assert telling.lower() not in disposition.lower()


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
