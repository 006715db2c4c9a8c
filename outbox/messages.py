"""An OutgoingEmail row and the email itself, both ways.

Most kinds keep the message their owner rendered (make_message, allauth, a notice's frozen
text). Weekly status emails are built from their counts when they are sent, by the builder
the digests app registers when it loads: the outbox sits below the apps that write emails
and never imports them.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives

from outbox.models import OutgoingEmail

Builder = Callable[..., EmailMessage]  # build(email, *, to) -> the message
_BUILDERS: dict[str, Builder] = {}


class NoRecipient(ValueError):
    """Nobody to send it to. Django's backends skip such a message without a word."""


def outgoing_builder_register(*kinds: str, build: Builder) -> None:
    """`build(email, *, to)` makes the message of `kinds` when one is sent (apps' ready())."""
    for kind in kinds:
        _BUILDERS[kind] = build


def message_fields(message: EmailMessage) -> dict:
    """The fields of an OutgoingEmail that keep `message` as its owner rendered it."""
    headers = dict(message.extra_headers)
    message_id = headers.pop("Message-ID", "")
    html = ""
    if message.content_subtype == "html":
        text, html = "", message.body
    else:
        text = message.body
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
    return {
        "to_address": message.to[0] if message.to else "",
        "from_email": message.from_email or "",
        "reply_to": "\n".join(message.reply_to),  # no address holds a line break
        "subject": message.subject,
        "body_text": text,
        "body_html": html,
        "headers": headers,
        "message_id": message_id,
    }


def outgoing_message(email: OutgoingEmail, *, to: str) -> EmailMessage:
    """The email a row stands for, addressed to `to`, with the row's Message-ID."""
    if not to:
        raise NoRecipient("no recipient address")
    build = _BUILDERS.get(email.kind)
    if build is not None:
        return build(email, to=to)
    headers = dict(email.headers)
    if email.message_id:
        headers["Message-ID"] = email.message_id
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text or email.body_html,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=email.reply_to.split("\n") if email.reply_to else None,
        headers=headers,
    )
    if email.body_text and email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    elif email.body_html:
        message.content_subtype = "html"
    return message
