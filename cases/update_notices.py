"""The neutral "You have an update" email: a message waits for someone in a case's
conversation. It says nothing else (no name, no case reference, no text of the message) and
carries one link, to sign in. At most one an hour a person; each person can turn it off.

A message that comes within the hour after a notice owes one more, at the end of that hour
(`due_at`): a periodic run sends it then if she still has something unread, so a reply
read an hour late is never left without an email, and one already read sends nothing.

The hour is held by a conditional UPDATE of the person's `UpdateNotice.last_sent_at` in the
transaction that wrote the message: two messages a second apart, even in two processes at
once, move it only once (the second UPDATE waits for the first's row lock, then no longer
matches), so they make one email. The email row is written in that same transaction, so a
message that is rolled back sends nothing.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import email_is_verified
from cases.models import UpdateNotice
from cases.thread_selectors import has_unread_messages
from leakcase.emails import language_of, make_message
from outbox.models import EmailKind, OutgoingEmail
from outbox.services import outgoing_send_after_commit, outgoing_write

# At most one notice an hour a person: enough to say "come and look", never a stream of
# emails that shows someone reading her inbox that something is going on.
NOTICE_INTERVAL = dt.timedelta(hours=1)


def sign_in_link() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("account_login")


def update_notice_settings_for(user: User) -> UpdateNotice:
    """Her setting as it is (on unless she turned it off); not saved until she changes it."""
    return UpdateNotice.objects.filter(user=user).first() or UpdateNotice(user=user)


def update_notice_set(*, user: User, enabled: bool) -> UpdateNotice:
    """Turn her update emails on or off. Concurrency-safe: one row per person, upserted."""
    UpdateNotice.objects.bulk_create([UpdateNotice(user=user)], ignore_conflicts=True)
    UpdateNotice.objects.filter(user=user).update(enabled=enabled)
    return UpdateNotice.objects.get(user=user)


def update_notice_send(*, to: User | None, now: dt.datetime | None = None) -> OutgoingEmail | None:
    """Owe `to` a notice, if she wants them and had none in the last hour; call inside the
    transaction that wrote the message. Returns the email written, or None. Survivors get it
    only at a confirmed address (an unconfirmed one may be mistyped, or someone else's)."""
    if to is None or not to.is_active or not to.email:
        return None
    if not to.is_support_staff and not email_is_verified(to):
        return None
    now = now or timezone.now()
    with transaction.atomic():
        UpdateNotice.objects.bulk_create([UpdateNotice(user=to)], ignore_conflicts=True)
        claimed = (
            UpdateNotice.objects.filter(user=to, enabled=True)
            .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - NOTICE_INTERVAL))
            .update(last_sent_at=now)
        )
        if not claimed:
            # Held back by the hour: owe one at its end (unless one is owed already).
            UpdateNotice.objects.filter(user=to, enabled=True, due_at__isnull=True).update(
                due_at=F("last_sent_at") + NOTICE_INTERVAL
            )
            return None
        return _notice_write(to, now)


def _notice_write(to: User, now: dt.datetime) -> OutgoingEmail:
    email = outgoing_write(
        kind=EmailKind.UPDATE_NOTICE,
        user=to,
        message=make_message(
            "update-notice", {"link": sign_in_link()}, to=to.email, language=language_of(to)
        ),
        now=now,
    )
    # After the transaction commits; if sending fails, the outbox's periodic run retries.
    outgoing_send_after_commit(email=email)
    return email


# Owed notices claimed per transaction by the periodic run.
DUE_BATCH = 200


def update_notices_send_due(*, now: dt.datetime | None = None) -> int:
    """The notices held back by the hour whose hour is up: each goes if its person still has
    an unread message (and wants them), and is cleared either way. Safe on two runs at once:
    rows are claimed with SKIP LOCKED. Returns how many emails were written."""
    now = now or timezone.now()
    written = 0
    while True:
        with transaction.atomic():
            owed = list(
                UpdateNotice.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(due_at__lte=now)
                .select_related("user")
                .order_by("due_at")[:DUE_BATCH]
            )
            if not owed:
                return written
            for notice in owed:
                user = notice.user
                still_wanted = (
                    notice.enabled
                    and user.is_active
                    and bool(user.email)
                    and (user.is_support_staff or email_is_verified(user))
                    and has_unread_messages(user)
                )
                notice.due_at = None
                if still_wanted:
                    notice.last_sent_at = now
                    _notice_write(user, now)
                    written += 1
                notice.save(update_fields=["due_at", "last_sent_at"])
