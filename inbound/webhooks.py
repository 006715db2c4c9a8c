"""The second way in: mail providers' inbound webhooks, through django-anymail.

A provider receives the mail for the replies address and posts each message to
/inbound/<provider>/. anymail checks the post (Mailgun's HMAC signature with its webhook
signing key, MailerSend's HMAC of the body with its inbound secret; HTTP basic auth for
Postmark and SendGrid, which sign nothing) and sends its
`inbound` signal; the receiver below hands the message's bytes to inbound_receive, the same
service the IMAP poll ends in. A refused post (bad signature, wrong password) is a 400 and
stores nothing. A post inbound_receive cannot store (the database down) is a 500, which every
provider retries later; a repeated post of the same message is filed once (Message-ID).

Each provider's URL is off (404) until its secret is set: anymail itself would accept
unsigned posts from anyone with only a warning when the basic-auth secret is empty.

The body is read here, before anymail sees it, for two reasons:
- Size. Django refuses form fields and bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB,
  right for our own forms), and Mailgun's and SendGrid's message is one form field: every
  reply with a screenshot attached would be a 400, retried and then lost. Here a body may
  be as big as a message we accept (INBOUND_MAX_MESSAGE_BYTES, and room for the provider's
  encoding around it); a message past the limit is still filed, quarantined, by
  inbound_receive, and a body past this one is a 413.
- Bytes. The message filed is Mailgun's body-mime or SendGrid's raw email field as the bytes
  they posted (a Shift_JIS or Windows-1252 body in 8 bits stays what it was), and Postmark's
  RawEmail and MailerSend's raw (JSON, so already text); anymail's re-serialised copy only
  when a provider sent parsed fields instead of the raw message.
"""

import datetime as dt
import time
from email import policy
from email.parser import BytesParser

from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from anymail.signals import inbound
from anymail.webhooks.mailersend import MailerSendInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.dispatch import receiver
from django.http import Http404, HttpResponse, QueryDict
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt

from inbound.services import inbound_receive

# Mailgun signs a timestamp and a token; anymail checks the signature but not the time. A
# post older (or newer) than this is refused, so a captured post cannot be replayed later.
# Mailgun's own advice; clocks of both sides are NTP-synchronised.
MAILGUN_MAX_AGE_SECONDS = 15 * 60

# A provider's post around one message: the message and what the provider adds (Postmark's
# parsed copy of the text and HTML beside RawEmail doubles it; JSON escapes add more).
BODY_ALLOWANCE_FACTOR = 3
# Form fields a provider's post may have (Mailgun's and SendGrid's are about twenty).
MAX_FORM_PARTS = 200


# provider in the URL -> (anymail's inbound view, the ANYMAIL setting that must be set)
PROVIDERS = {
    "mailgun": (MailgunInboundWebhookView, "MAILGUN_WEBHOOK_SIGNING_KEY"),
    "mailersend": (MailerSendInboundWebhookView, "MAILERSEND_INBOUND_SECRET"),
    "postmark": (PostmarkInboundWebhookView, "WEBHOOK_SECRET"),
    "sendgrid": (SendGridInboundWebhookView, "WEBHOOK_SECRET"),
}


def provider_configured(provider: str) -> bool:
    _view, secret = PROVIDERS[provider]
    return bool(getattr(settings, "ANYMAIL", {}).get(secret))


def _inbound_view(provider: str):
    view_class, _secret = PROVIDERS[provider]

    @csrf_exempt  # a provider's post, authenticated by its signature or basic auth
    def view(request, *args, **kwargs):
        if not provider_configured(provider):
            raise Http404("this provider's inbound webhook is not configured")
        if not _read_body(request):
            return HttpResponse("Too large.", status=413, content_type="text/plain")
        if provider == "mailgun":
            _refuse_stale_mailgun_post(request)
        # A new view per request: anymail reads its settings when the view is made, so a
        # secret changed (or set in a test) applies to the next post.
        try:
            return view_class.as_view()(request, *args, **kwargs)
        except (ValueError, TypeError, KeyError, AttributeError, AnymailConfigurationError):
            # An authenticated post anymail cannot make a message of (JSON that is not an
            # object, a Mailgun route with store() instead of forward()): a 400 saying so,
            # nothing stored. The database or storage failing is not among these: a 500,
            # which the provider retries.
            return HttpResponse(
                "Not a message this webhook reads.", status=400, content_type="text/plain"
            )

    view.__name__ = f"{provider}_inbound_webhook"
    view.__module__ = __name__
    return view


def body_limit() -> int:
    return settings.INBOUND_MAX_MESSAGE_BYTES * BODY_ALLOWANCE_FACTOR


def _read_body(request) -> bool:
    """Read the post (up to body_limit()) so anymail never meets Django's 2.5 MB limit for
    our own forms; a form post's fields are parsed here, their bytes kept as they came
    (request.inbound_fields). False when the body is over the limit (nothing is read past
    it)."""
    limit = body_limit()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return False
    body = request.read(limit + 1)
    if len(body) > limit:
        return False
    request._body = body  # what request.body returns from now on, with no further check
    request.inbound_fields = {}
    if request.content_type == "multipart/form-data":
        post, files = _form(request, body)
        request._post, request._files = post, files
    return True


def _form(request, body: bytes) -> tuple[QueryDict, MultiValueDict]:
    """multipart/form-data parsed as the MIME it is (RFC 7578): the fields as text for
    anymail, and each field's bytes as posted for the message itself."""
    head = f"Content-Type: {request.META.get('CONTENT_TYPE', '')}\r\n\r\n".encode("latin-1")
    form = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    post, files = QueryDict(mutable=True), MultiValueDict()
    parts = form.iter_parts() if form.is_multipart() else []
    for count, part in enumerate(parts):
        if count >= MAX_FORM_PARTS:
            raise AnymailWebhookValidationFailure("Too many form fields")
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.appendlist(name, SimpleUploadedFile(filename, data, part.get_content_type()))
        else:
            post.appendlist(name, data.decode(part.get_content_charset() or "utf-8", "replace"))
            request.inbound_fields[name] = data
    post._mutable = False
    return post, files


def _refuse_stale_mailgun_post(request) -> None:
    try:
        timestamp = int(request.POST.get("timestamp", ""))
    except ValueError:
        raise AnymailWebhookValidationFailure("Mailgun post without a timestamp") from None
    if abs(time.time() - timestamp) > MAILGUN_MAX_AGE_SECONDS:
        raise AnymailWebhookValidationFailure("Mailgun post too old (or from the future)")


mailgun_inbound = _inbound_view("mailgun")
mailersend_inbound = _inbound_view("mailersend")
postmark_inbound = _inbound_view("postmark")
sendgrid_inbound = _inbound_view("sendgrid")


def raw_message(event, esp_name: str) -> bytes:
    """The message's bytes as the provider passed them on (see the module's docstring);
    anymail's parsed message, serialised, when the provider sent fields instead."""
    if esp_name in ("Mailgun", "SendGrid"):
        fields = getattr(event.esp_event, "inbound_fields", {})
        original = fields.get("body-mime" if esp_name == "Mailgun" else "email")
        if original:
            return original
    elif esp_name in ("Postmark", "MailerSend"):
        data = event.esp_event if esp_name == "Postmark" else event.esp_event.get("data")
        original = data.get("RawEmail" if esp_name == "Postmark" else "raw")
        if original:
            # JSON text; a lone surrogate escaped in it (\ud800) cannot be UTF-8: replaced.
            return original.encode("utf-8", "replace")
    try:
        return event.message.as_bytes()
    except (ValueError, LookupError, UnicodeError):
        # A message the serialiser chokes on (a header it refuses to fold, an unknown
        # charset): its text, for inbound_receive to quarantine or read as it can.
        return event.message.as_string().encode("utf-8", "replace")


@receiver(inbound, dispatch_uid="leakcase.inbound.webhooks.file_inbound")
def file_inbound(sender, event, esp_name, **kwargs):
    received_at = event.timestamp if isinstance(event.timestamp, dt.datetime) else None
    inbound_receive(
        raw=raw_message(event, esp_name),
        source=f"webhook:{esp_name.lower()}",
        received_at=received_at,
    )
