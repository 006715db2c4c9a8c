"""One way to build an email: templates/emails/<name>-subject.txt, -body.txt, -body.html.

Emails from LeakCase may be read by someone else: they carry counts and a link, never an
address of a sighting, an image, a case name or the survivor's name.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def make_message(
    name: str,
    context: dict,
    to: str,
    headers: dict | None = None,
    from_email: str | None = None,
):
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
