"""Canary strings in every fixture never appear in captured logs.

A survivor with a canary email opens a case, logs canary addresses with canary notes, uploads
a screenshot and an image to find (their hashes are canaries too), staff add a canary note,
open a case for a caller with a canary email and send her a claim link (a canary token),
she resets her password (a canary key), a takedown with canary contact details is drafted
and sent, wrong and refused requests are made on the way (Django logs the path of every 4xx),
and finally she downloads her data and erases her account. Every logger is captured at DEBUG.
"""

import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from cases.models import Case
from cases.services import case_assign, invitation_issue
from evidence.models import EvidenceFile, ReferenceHash, Sighting
from leakcase.logs import JsonFormatter, RedactFilter, redact
from takedowns.services import takedown_update_draft, takedowns_draft
from tests.case_world import image
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CANARY_EMAIL = "canary.rose.7f3a@example.test"
CANARY_CALLER = "canary.caller.7f3a@example.test"
CANARY_URL = "https://canary-site.example/CANARYURL7f3a/photo"
CANARY_PASTED = "https://canary-paste.example/CANARYPASTE7f3a"
CANARY_NOTE = "CANARYNOTE7f3a what the page says"
CANARY_STAFF_NOTE = "CANARYSTAFF7f3a internal words"
CANARY_PSEUDONYM = "CanaryPseudonym7f3a"
CANARY_PHONE = "+1 555 7373 7f3a"


@pytest.fixture
def every_logger_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _logged_text(records) -> str:
    parts = []
    for record in records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
        parts.append(repr({k: v for k, v in record.__dict__.items() if k not in ("msg", "args")}))
    return "\n".join(parts)


@pytest.mark.django_db
def test_no_canary_reaches_the_logs(
    client,
    every_logger_at_debug,
    caseworker,
    supervisor,
    settings,
    django_capture_on_commit_callbacks,
):
    caplog = every_logger_at_debug
    canaries = [
        CANARY_EMAIL,
        CANARY_CALLER,
        CANARY_URL,
        "CANARYURL7f3a",
        "CANARYPASTE7f3a",
        "CANARYNOTE7f3a",
        "CANARYSTAFF7f3a",
        CANARY_PHONE,
    ]

    # She signs up and logs in, after one wrong password.
    response = client.post(
        reverse("account_signup"),
        {"email": CANARY_EMAIL, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    survivor = User.objects.get(email=CANARY_EMAIL)
    client.logout()
    client.post(reverse("account_login"), {"login": CANARY_EMAIL, "password": "not-it-at-all"})
    client.post(reverse("account_login"), {"login": CANARY_EMAIL, "password": PASSWORD})

    # Her case, her addresses and notes, a refused address, a pasted list.
    client.post(reverse("cases:open"), {"pseudonym": CANARY_PSEUDONYM})
    case = Case.objects.get(survivor=survivor)
    ref = case.reference
    client.post(
        reverse("evidence:sighting_add", args=[ref]), {"url": CANARY_URL, "note": CANARY_NOTE}
    )
    client.post(
        reverse("evidence:sighting_add", args=[ref]),
        {"url": "javascript:CANARYURL7f3a", "note": CANARY_NOTE},
    )
    client.post(
        reverse("evidence:sightings_paste", args=[ref]),
        {"urls": f"{CANARY_PASTED}\nfile:///CANARYPASTE7f3a\n{CANARY_PASTED}"},
    )
    assert Sighting.objects.filter(case=case).count() == 2

    # A screenshot and an image to find: their hashes join the canaries.
    client.post(reverse("evidence:upload", args=[ref]), {"image": image(seed=5)})
    client.post(
        reverse("evidence:references", args=[ref]),
        {"image": image(seed=6, name="find-me.jpg"), "label": "CANARYNOTE7f3a label"},
    )
    evidence = EvidenceFile.objects.get(case=case)
    reference = ReferenceHash.objects.get(case=case)
    canaries += [evidence.sha256, evidence.stored_sha256, evidence.phash, evidence.dhash]
    canaries += [reference.phash_hex, str(reference.phash)]
    client.get(reverse("evidence:file", args=[ref, evidence.pk, "image"]))

    # Staff: assignment, a note, triage, a refused page, a case for a caller and her link.
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    client.force_login(caseworker)
    client.post(
        reverse("cases:note_add", args=[ref]),
        {"body": CANARY_STAFF_NOTE, "visibility": "internal"},
    )
    client.post(reverse("cases:note_add", args=[ref]), {"body": "", "visibility": "internal"})
    client.get(reverse("evidence:file", args=[ref, evidence.pk, "download"]))
    client.get(reverse("platforms:figures"))  # 404 for a caseworker
    client.force_login(supervisor)
    client.post(
        reverse("cases:open_for_caller"), {"pseudonym": "Caller", "contact_email": CANARY_CALLER}
    )
    caller_case = Case.objects.get(contact_email=CANARY_CALLER)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:invitation", args=[caller_case.reference]))
    token = invitation_issue(case=caller_case, acting_user=supervisor)
    canaries.append(token)
    client.get(reverse("cases:claim", args=[token]))  # 400: staff cannot claim
    client.logout()
    client.get(reverse("cases:claim", args=[token]))
    client.get(reverse("cases:claim", args=[token + "x"]))  # 400, a wrong link

    # Password reset: the key in the email is a canary; a wrong key is tried as well.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": CANARY_EMAIL})
    (message,) = mail.outbox
    key_url = re.search(r"https?://\S+/password/reset/key/\S+", message.body).group(0)
    key_path = key_url.split("testserver", 1)[-1]
    canaries.append(key_path.rstrip("/").rsplit("/", 1)[-1])
    client.get(key_path)
    client.get(key_path.replace("-", "-x", 1))

    # A takedown with her contact details, drafted and sent by email.
    sighting = Sighting.objects.get(url=CANARY_URL)
    (draft,) = takedowns_draft(case=case, sightings=[sighting], acting_user=survivor)
    takedown_update_draft(
        takedown=draft,
        acting_user=survivor,
        recipient_email="abuse@canary-site.example",
        signer_name=CANARY_PSEUDONYM,
        contact_email=CANARY_EMAIL,
        contact_phone=CANARY_PHONE,
        content_description=CANARY_NOTE,
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    # The site's address is not in the directory: the caseworker approves it. She consents
    # and puts her own address in notices, so the send below really goes out.
    client.force_login(caseworker)
    client.post(reverse("takedowns:approve_recipient", args=[ref, draft.pk]))
    client.force_login(survivor)
    client.post(reverse("cases:consent", args=[ref]), {"consent": "give"})
    client.post(reverse("cases:notice_contact", args=[ref]), {"notice_contact": "own_email"})
    # Staff send it (survivors write requests only where the service turns that on): the
    # page asking to confirm the recipient, then the confirmed send, then a second one.
    client.force_login(caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("takedowns:send", args=[ref, draft.pk]))
        client.post(reverse("takedowns:send", args=[ref, draft.pk]), {"confirm": "send"})
        # again: refused
        client.post(reverse("takedowns:send", args=[ref, draft.pk]), {"confirm": "send"})
    draft.refresh_from_db()
    assert draft.status == "sent"
    client.force_login(survivor)

    # Her data, then her erasure (one wrong password first).
    client.post(reverse("accounts:export"), {"password": PASSWORD})
    client.post(reverse("accounts:erase"), {"password": "wrong", "confirm": "ERASE"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:erase"), {"password": PASSWORD, "confirm": "ERASE"}
        )
    assert response.status_code == 302 and not User.objects.filter(email=CANARY_EMAIL).exists()

    # The flows really ran and were really logged.
    assert AuditEvent.objects.filter(kind="erasure").exists()
    assert len(caplog.records) > 10, [r.getMessage() for r in caplog.records]
    assert any(r.name == "django.request" for r in caplog.records)

    logged = _logged_text(caplog.records)
    found = [c for c in canaries if c and c in logged]
    leaking = sorted(
        {
            (r.name, r.levelname, r.getMessage()[:160])
            for r in caplog.records
            if any(c in _logged_text([r]) for c in found)
        }
    )
    assert not found, leaking


def test_the_redaction_belt_catches_what_it_is_for():
    line = (
        "GET /invitations/abc.def-ghi/ for rose@example.org about https://x.com/p?q=1 "
        "sha " + "ab" * 32 + " phash 00ff00ff00ff00ff /accounts/password/reset/key/1-abc/ "
        "/email/unsubscribe/MTU:1x:yz/ request 3f2c1a8e-1b2c-4d5e-8f90-1234567890ab"
    )
    cleaned = redact(line)
    for secret in (
        "abc.def-ghi",
        "rose@example.org",
        "https://x.com",
        "ab" * 32,
        "00ff00ff00ff00ff",
        "1-abc",
        "MTU:1x:yz",
    ):
        assert secret not in cleaned, secret
    assert "3f2c1a8e-1b2c-4d5e-8f90-1234567890ab" in cleaned  # request ids stay readable


def test_the_filter_formats_once_and_keeps_one_line():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a %s\nb", ("c@d.example",), None)
    RedactFilter().filter(record)
    assert record.getMessage() == "a [redacted]\\nb"


JSON_PROBE = """
import logging, django
django.setup()
from leakcase.logs import request_id_var
request_id_var.set("req-7f3a")
log = logging.getLogger("leakcase.canary")
log.warning("sent to %s about %s", EMAIL, URL)
try:
    raise RuntimeError(f"SMTP refused {EMAIL} for {URL}")
except RuntimeError:
    log.exception("delivery to %s failed", EMAIL)
"""


def test_json_logs_one_object_a_line_redacted_exception_included():
    """LOG_FORMAT=json, as a process started with it logs: one JSON object a line, and the
    canaries blanked in the message and in the traceback alike."""
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "leakcase.settings_test"}
    code = f"EMAIL, URL = {CANARY_EMAIL!r}, {CANARY_URL!r}\n" + JSON_PROBE
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    ours = [line for line in lines if line["logger"] == "leakcase.canary"]
    assert len(ours) == 2
    sent, failed = ours
    assert sent["level"] == "WARNING"
    assert sent["message"] == "sent to [redacted] about [redacted]"
    assert sent["request_id"] == "req-7f3a"
    assert dt.datetime.fromisoformat(sent["time"]).tzinfo == dt.UTC
    assert "exception" not in sent
    assert failed["level"] == "ERROR"
    assert failed["message"] == "delivery to [redacted] failed"
    assert failed["exception"].startswith("Traceback (most recent call last):")
    assert failed["exception"].endswith("RuntimeError: SMTP refused [redacted] for [redacted]")
    for canary in (CANARY_EMAIL, CANARY_URL, "CANARYURL7f3a", "canary-site"):
        assert canary not in result.stderr, canary


def test_the_json_formatter_redacts_on_its_own_and_keeps_one_line():
    """Without RedactFilter in front of it (a handler someone adds), the formatter still
    blanks the message, and a line break in it stays inside the one JSON object."""
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "to %s\nsee %s", (CANARY_EMAIL, CANARY_URL), None
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "to [redacted]\nsee [redacted]"
