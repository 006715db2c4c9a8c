"""The webhook way in (inbound/webhooks.py): posts built the way each provider builds and
signs them (Mailgun: a multipart form with body-mime and an HMAC-SHA256 of timestamp+token
under the webhook signing key; MailerSend: JSON with the raw message and an HMAC-SHA256 of
the body under the route's secret in a Signature header; Postmark: JSON with RawEmail and
HTTP basic auth; SendGrid's
Inbound Parse: a multipart form with the raw email and basic auth). A wrong signature or
password is refused and stores nothing; a right one is filed, once however often it comes."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.urls import reverse

from inbound.models import InboundMessage
from inbound.reading import message_id_of
from takedowns.notices import reply_address
from takedowns.services import takedown_note_ticket_number
from tests.helpers import mail_corpus

SIGNING_KEY = "key-test-only-mailgun-signing-key"
MAILERSEND_SECRET = "test-only-mailersend-inbound-secret"
BASIC_AUTH = "anymail:test-only-webhook-password"
SIZE_LIMIT = 200_000
TICKET = "TK-20481"


@pytest.fixture
def providers(settings):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": BASIC_AUTH,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "MAILERSEND_INBOUND_SECRET": MAILERSEND_SECRET,
    }
    settings.INBOUND_MAX_MESSAGE_BYTES = SIZE_LIMIT


@pytest.fixture
def target(emailed_request, notice) -> mail_corpus.Target:
    takedown_note_ticket_number(takedown=emailed_request, ticket_number=TICKET)
    return mail_corpus.Target(
        reply_address=reply_address(emailed_request),
        plain_reply_address="replies@leakcase.invalid",
        notice_message_id=notice.message_id,
        notice_subject=notice.subject,
        ticket_number=TICKET,
        platform_domain=emailed_request.platform.domains.order_by("domain").first().domain,
    )


def multipart(fields: dict[str, bytes | str]) -> tuple[bytes, str]:
    """A multipart/form-data body as the providers' HTTP clients write it: each field's
    bytes as they are (a message in 8 bits stays 8 bits)."""
    boundary = f"----provider{uuid.uuid4().hex}"
    chunks = []
    for name, value in fields.items():
        data = value.encode("utf-8") if isinstance(value, str) else value
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def mailgun_post(client, raw: bytes, *, key: str = SIGNING_KEY, timestamp: int | None = None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    token = uuid.uuid4().hex + uuid.uuid4().hex[:18]  # Mailgun's tokens: 50 characters
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    body, content_type = multipart(
        {
            "recipient": "replies@leakcase.invalid",
            "sender": "alex.moderator@gmail.com",
            "subject": "Re: takedown",
            "body-mime": raw,
            "timestamp": str(timestamp),
            "token": token,
            "signature": signature,
        }
    )
    # With INBOUND_WEBHOOK_BASIC_AUTH set too, anymail asks it of Mailgun's posts as well (the
    # user:password in the route's URL), on top of the signature.
    return client.generic(
        "POST",
        reverse("inbound_webhooks:mailgun"),
        body,
        content_type,
        HTTP_AUTHORIZATION=basic_auth(BASIC_AUTH),
    )


def basic_auth(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def postmark_post(client, raw: bytes, *, credentials: str = BASIC_AUTH):
    text = raw.decode("utf-8", "replace")
    payload = {
        "FromName": "Alex Moderator",
        "From": "alex.moderator@gmail.com",
        "FromFull": {"Email": "alex.moderator@gmail.com", "Name": "Alex Moderator"},
        "To": "replies@leakcase.invalid",
        "ToFull": [{"Email": "replies@leakcase.invalid", "Name": ""}],
        "Subject": "Re: takedown",
        "MessageID": str(uuid.uuid4()),
        "Date": "Sat, 5 Dec 2026 10:12:33 +0000",
        "TextBody": "",
        "HtmlBody": "",
        "Headers": [],
        "Attachments": [],
        "RawEmail": text,  # "Include raw email content in JSON payload" on
    }
    return client.post(
        reverse("inbound_webhooks:postmark"),
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(credentials),
    )


def sendgrid_post(client, raw: bytes, *, credentials: str = BASIC_AUTH):
    body, content_type = multipart(
        {
            "headers": "",
            "dkim": "{@gmail.com : pass}",
            "to": "replies@leakcase.invalid",
            "from": "alex.moderator@gmail.com",
            "subject": "Re: takedown",
            "envelope": json.dumps(
                {"to": ["replies@leakcase.invalid"], "from": "alex.moderator@gmail.com"}
            ),
            "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}),
            "SPF": "pass",
            "email": raw,  # "POST the raw, full MIME message" on
        }
    )
    return client.generic(
        "POST",
        reverse("inbound_webhooks:sendgrid"),
        body,
        content_type,
        HTTP_AUTHORIZATION=basic_auth(credentials),
    )


def mailersend_post(client, raw: bytes, *, secret: str = MAILERSEND_SECRET):
    payload = {
        "type": "inbound.message",
        "inbound_id": "zr6ke4n1k4egon12",
        "url": "https://cases.example.org/inbound/mailersend/",
        "created_at": "2026-12-05T10:12:34.000000Z",
        "data": {
            "object": "message",
            "id": uuid.uuid4().hex[:24],
            "created_at": "2026-12-05T10:12:34.000000Z",
            "raw": raw.decode("utf-8", "replace"),
            "sender": {"email": "alex.moderator@gmail.com"},
            "recipients": {"rcptTo": [{"email": "replies@leakcase.invalid"}]},
            "subject": "Re: takedown",
        },
    }
    body = json.dumps(payload).encode()
    return client.generic(
        "POST",
        reverse("inbound_webhooks:mailersend"),
        body,
        "application/json",
        HTTP_SIGNATURE=hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        HTTP_AUTHORIZATION=basic_auth(BASIC_AUTH),  # as Mailgun's, when it is set
    )


POSTS = {
    "mailgun": mailgun_post,
    "mailersend": mailersend_post,
    "postmark": postmark_post,
    "sendgrid": sendgrid_post,
}


@pytest.mark.parametrize("provider", POSTS)
def test_a_signed_reply_is_filed_on_its_request_once(
    client, providers, target, emailed_request, provider
):
    raw = mail_corpus.gmail_reply(target)

    first = POSTS[provider](client, raw)
    again = POSTS[provider](client, raw)  # the provider retried, or sent it twice

    assert (first.status_code, again.status_code) == (200, 200)
    message = InboundMessage.objects.get()
    assert (message.kind, message.status, message.routed_by) == ("reply", "filed", "token")
    assert message.takedown == emailed_request
    assert message.source == f"webhook:{provider}"
    assert message.message_id == message_id_of(raw)


@pytest.mark.parametrize("provider", ["mailgun", "mailersend"])
def test_a_wrong_signature_is_refused_and_nothing_stored(
    client, providers, target, tmp_path, provider
):
    post = POSTS[provider]
    raw = mail_corpus.gmail_reply(target)
    if provider == "mailgun":
        response = post(client, raw, key="key-someone-else")
    else:
        response = post(client, raw, secret="someone-elses-secret")

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0
    assert not (tmp_path / "evidence" / "inbound").exists()


@pytest.mark.parametrize("provider", ["postmark", "sendgrid"])
def test_a_wrong_password_is_refused_and_nothing_stored(
    client, providers, target, tmp_path, provider
):
    response = POSTS[provider](client, mail_corpus.gmail_reply(target), credentials="anymail:no")

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0
    assert not (tmp_path / "evidence" / "inbound").exists()


def test_mailgun_needs_only_its_signing_key(client, settings, target):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "", "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}

    assert mailgun_post(client, mail_corpus.gmail_reply(target)).status_code == 200
    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize("body", ["{not json", "[]", '{"RawEmail": 5}'])
def test_a_postmark_post_that_is_not_a_message_is_a_bad_request(client, providers, db, body):
    response = client.post(
        reverse("inbound_webhooks:postmark"),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(BASIC_AUTH),
    )

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_a_form_post_without_a_boundary_is_a_bad_request(client, providers, db):
    response = client.generic(
        "POST",
        reverse("inbound_webhooks:mailgun"),
        b"body-mime=x",
        "multipart/form-data",
        HTTP_AUTHORIZATION=basic_auth(BASIC_AUTH),
    )

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_an_old_mailgun_post_is_not_replayed(client, providers, target):
    """Signed, but an hour old: a captured post sent again later is refused."""
    response = mailgun_post(
        client, mail_corpus.gmail_reply(target), timestamp=int(time.time()) - 3600
    )

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize("provider", POSTS)
def test_a_provider_without_its_secret_is_not_there(client, settings, target, provider):
    """anymail alone would take unsigned posts from anyone, with a warning: off instead."""
    settings.ANYMAIL = {}

    response = POSTS[provider](client, mail_corpus.gmail_reply(target))

    assert response.status_code == 404
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize("provider", ["mailgun", "sendgrid"])
def test_a_reply_bigger_than_djangos_form_limit_is_filed(
    client, providers, target, settings, provider
):
    """A reply with a 3 MB screenshot: over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, our own
    forms' limit) as one form field, under the message limit: filed, not a 400."""
    settings.INBOUND_MAX_MESSAGE_BYTES = 10 * 1024 * 1024
    raw = mail_corpus.too_large(target, 3 * 1024 * 1024)
    assert len(raw) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = POSTS[provider](client, raw)

    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.status, message.raw_size) == ("filed", len(raw))


def test_a_message_in_8_bits_is_filed_as_its_bytes(client, providers, target):
    """Mailgun's body-mime of a Shift_JIS message in 8 bits: the bytes filed are the bytes
    sent, so the Japanese reads as Japanese."""
    raw = mail_corpus.shift_jis(target)

    assert mailgun_post(client, raw).status_code == 200

    message = InboundMessage.objects.get()
    assert message.raw_size == len(raw)
    assert "コンテンツを削除しました" in message.text_body


def test_a_post_over_the_body_limit_is_413(client, providers, target, settings):
    settings.INBOUND_MAX_MESSAGE_BYTES = 50_000
    raw = mail_corpus.too_large(target, 50_000 * 4)

    response = mailgun_post(client, raw)

    assert response.status_code == 413
    assert InboundMessage.objects.count() == 0


CORPUS = mail_corpus.shapes(size_limit=SIZE_LIMIT)


def test_every_shape_through_mailgun(client, providers, target):
    """The corpus through the webhook: the same outcomes as through IMAP."""
    wrong = {}
    for shape in CORPUS:
        raw = shape.build(target)
        response = mailgun_post(client, raw)
        row = InboundMessage.objects.get(message_id=message_id_of(raw))
        got = (response.status_code, row.kind, row.status, row.routed_by, row.ticket_number)
        e = shape.expected
        want = (200, e.kind, e.status, e.routed_by, mail_corpus.expected_ticket(shape, target))
        if got != want:
            wrong[shape.name] = (got, want)
    assert wrong == {}
    assert InboundMessage.objects.count() == len(CORPUS)
