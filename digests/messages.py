"""Turning an OutgoingEmail row into the email itself, and the signed unsubscribe link.

Everything personal stays out: the body has counts, a link to log in and the unsubscribe
link; no address she reported, no platform, no case reference, no name.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from leakcase.emails import language_of, make_message
from outbox.models import EmailKind, OutgoingEmail

UNSUBSCRIBE_SALT = "digests.unsubscribe"
TEMPLATES = {
    EmailKind.SURVIVOR_WEEKLY: "weekly-survivor",
    EmailKind.STAFF_WEEKLY: "weekly-staff",
}


def unsubscribe_token(user_id: int) -> str:
    # No expiry: an unsubscribe link in an old email must still work.
    return signing.dumps(user_id, salt=UNSUBSCRIBE_SALT, compress=True)


def user_id_for_unsubscribe_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def weekly_subject() -> str:
    """The weekly email's subject in the active language (the default one is in the
    catalogs; one a deployment set is not, and stays as it wrote it)."""
    return gettext(settings.WEEKLY_STATUS_SUBJECT)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def digest_context(email: OutgoingEmail) -> dict:
    is_staff = email.kind == EmailKind.STAFF_WEEKLY
    return {
        "counts": email.counts,
        "service": email.counts.get("service"),
        "quiet_week": email.counts.get("quiet_week", False),
        "subject": weekly_subject(),
        "link": _absolute(reverse("cases:caseload") if is_staff else "/"),
        "settings_link": _absolute(reverse("digests:settings")),
        "unsubscribe_link": _absolute(
            reverse("digests:unsubscribe", args=[unsubscribe_token(email.user_id)])
        ),
    }


def digest_message(email: OutgoingEmail, *, to: str) -> EmailMultiAlternatives:
    language = language_of(email.user)
    with translation.override(language):  # the context's own words (the subject) too
        context = digest_context(email)
    headers = {
        # RFC 2369 and RFC 8058: mail clients show their own "Unsubscribe" button and
        # POST to the link, which works without logging in.
        "List-Unsubscribe": f"<{context['unsubscribe_link']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    if email.message_id:
        headers["Message-ID"] = email.message_id
    return make_message(
        TEMPLATES[email.kind],
        context,
        to=to,
        headers=headers,
        from_email=settings.WEEKLY_STATUS_FROM_EMAIL,
        language=language,
    )
