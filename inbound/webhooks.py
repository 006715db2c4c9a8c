"""The second way in: mail providers' inbound webhooks, through django-anymail.

A provider receives the mail for the replies address and posts each message to
/inbound/<provider>/. anymail checks the post (Mailgun's HMAC signature with its webhook
signing key; HTTP basic auth for Postmark and SendGrid, which sign nothing) and sends its
`inbound` signal; the receiver below hands the message's bytes to inbound_receive, the same
service the IMAP poll ends in. A refused post (bad signature, wrong password) is a 400 and
stores nothing. A post inbound_receive cannot store (the database down) is a 500, which every
provider retries later; a repeated post of the same message is filed once (Message-ID).

Each provider's URL is off (404) until its secret is set: anymail itself would accept
unsigned posts from anyone with only a warning when the basic-auth secret is empty.

The bytes filed are the message as the provider passed it on (Mailgun's body-mime, Postmark's
RawEmail, SendGrid's raw email field), not anymail's re-serialised copy, so what is sealed is
as close to what was sent as the provider allows. Providers deliver those as text fields, so
a message sent in 8-bit non-UTF-8 (a Shift_JIS body without transfer encoding) arrives as
the provider decoded it.
"""

import datetime as dt
import time

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import inbound
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt

from inbound.services import inbound_receive

# Mailgun signs a timestamp and a token; anymail checks the signature but not the time. A
# post older (or newer) than this is refused, so a captured post cannot be replayed later.
# Mailgun's own advice; clocks of both sides are NTP-synchronised.
MAILGUN_MAX_AGE_SECONDS = 15 * 60

# provider in the URL -> (anymail's inbound view, the ANYMAIL setting that must be set)
PROVIDERS = {
    "mailgun": (MailgunInboundWebhookView, "MAILGUN_WEBHOOK_SIGNING_KEY"),
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
        if provider == "mailgun":
            _refuse_stale_mailgun_post(request)
        # A new view per request: anymail reads its settings when the view is made, so a
        # secret changed (or set in a test) applies to the next post.
        return view_class.as_view()(request, *args, **kwargs)

    view.__name__ = f"{provider}_inbound_webhook"
    view.__module__ = __name__
    return view


def _refuse_stale_mailgun_post(request) -> None:
    try:
        timestamp = int(request.POST.get("timestamp", ""))
    except ValueError:
        raise AnymailWebhookValidationFailure("Mailgun post without a timestamp") from None
    if abs(time.time() - timestamp) > MAILGUN_MAX_AGE_SECONDS:
        raise AnymailWebhookValidationFailure("Mailgun post too old (or from the future)")


mailgun_inbound = _inbound_view("mailgun")
postmark_inbound = _inbound_view("postmark")
sendgrid_inbound = _inbound_view("sendgrid")


def raw_message(event, esp_name: str) -> bytes:
    """The message's bytes as the provider passed them on (see the module's docstring);
    anymail's parsed message, serialised, when the provider sent fields instead."""
    original = None
    if esp_name in ("Mailgun", "SendGrid"):
        original = event.esp_event.POST.get("body-mime" if esp_name == "Mailgun" else "email")
    elif esp_name == "Postmark":
        original = event.esp_event.get("RawEmail")
    if original:
        return original.encode("utf-8", "surrogateescape")
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
