"""One way to build an email: templates/emails/<name>-subject.txt, -body.txt, -body.html.

Emails from LeakCase may be read by someone else: they carry counts and a link, never an
address of a sighting, an image, a case name or the survivor's name.

Each email is written in its reader's language (`language`, from her account: see
`language_of`), never in whatever language the request or worker that builds it happens to
have active: a caseworker reading in German must not send her a German email.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def language_of(user) -> str:
    """The language to write to `user` in: her account's, else the site's default (a
    worker has no browser to ask). None (no account yet: an invitation) is the default."""
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def make_message(
    name: str,
    context: dict,
    to: str,
    headers: dict | None = None,
    from_email: str | None = None,
    *,
    language: str | None = None,
):
    """`language`: the reader's (language_of(user)); None is the site's default, never the
    active one."""
    with translation.override(language or settings.LANGUAGE_CODE):
        # <html lang dir> of the HTML part (no request, so no context processor gives them).
        context = {
            **context,
            "LANGUAGE_CODE": translation.get_language(),
            "LANGUAGE_BIDI": translation.get_language_bidi(),
        }
        subject = render_to_string(f"emails/{name}-subject.txt", context).strip()
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # a subject is one line
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    return message
