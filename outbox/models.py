"""Every email LeakCase sends, as a row written before it is sent.

Weekly status emails, the daily overdue count, takedown notices and reminders, invitations
and account mail (confirmation links, password resets) are all rows here: claimed, leased,
retried and shown on the outbox page the same way, and sent by one `outgoing_deliver()`
(outbox/services.py). The apps that write them own what they mean (a notice's
`Correspondence`, a person's `WeeklyStatus`); this app only knows how an email goes out.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models

from leakcase.choices import QuickChoiceLabels

# After the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure is final.
RETRY_AFTER = [dt.timedelta(minutes=m) for m in (1, 5, 30, 120)]
MAX_ATTEMPTS = len(RETRY_AFTER) + 1


class EmailKind(models.TextChoices):
    SURVIVOR_WEEKLY = "survivor_weekly", "Weekly status (survivor)"
    STAFF_WEEKLY = "staff_weekly", "Weekly status (staff)"
    OVERDUE_COUNT = "overdue_count", "Daily overdue count (staff)"
    NOTICE = "notice", "Takedown notice"
    REMINDER = "reminder", "Reminder to a platform"
    INVITATION = "invitation", "Invitation to claim a case"
    ACCOUNT = "account", "Account email"
    # "You have an update": a new message in a case's conversation (cases.thread).
    UPDATE_NOTICE = "update_notice", "New message notice"


# Someone is waiting for these and is told at once whether they went ("The email could not
# be sent", "give her the link"): one attempt, so nothing goes out later behind what she was
# told. A failed one is sent again by a person.
ONE_ATTEMPT_KINDS = (EmailKind.NOTICE, EmailKind.INVITATION)
# Their owners send these again, not the outbox page: a notice from its request's page, where
# her consent, the address and the sending limit are checked again; a reminder by the next
# reminder run, which writes it anew. Sending the old row again would skip those checks, or
# send it twice.
SENT_AGAIN_BY_THEIR_OWNER = (EmailKind.NOTICE, EmailKind.REMINDER)


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being handed to the mail server"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The sender stopped while handing it over: it may have arrived, so it is not sent
    # again by itself (twice is worse than once late); staff can send it again.
    UNCONFIRMED = "unconfirmed", "Interrupted while sending"


PROBLEM_STATUSES = (EmailStatus.FAILED, EmailStatus.UNCONFIRMED)


class OutgoingEmail(QuickChoiceLabels, models.Model):
    """An email LeakCase owes someone, written before it is sent: its status, its attempts
    and the last error. Weekly status emails are built from their counts when they are sent
    (by the builder digests registers, outbox/messages.py); every other kind keeps the
    message its owner rendered, until it has gone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The account it is for, when it is for one; its address is used unless `to_address`
    # names another. Empty for a platform's abuse desk or a helpline caller.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outgoing_emails",
    )
    to_address = models.EmailField(max_length=254, blank=True)
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    # The slot this email belongs to (a weekly status: the week's; an overdue count: the
    # day's): one email per person, kind and slot. Empty for kinds sent when they happen.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    # The message as its owner rendered it (empty for weekly status emails). Emptied once
    # sent: notices and reminders keep their text on their Correspondence, and the rest
    # carry one-time links (claim, password reset, confirmation) that should not outlive
    # their delivery in a table.
    from_email = models.CharField(max_length=300, blank=True)
    reply_to = models.CharField(max_length=300, blank=True)
    subject = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Moved here from digests; the table kept its name (no data moved).
        db_table = "digests_outgoingemail"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "scheduled_for"], name="one_email_per_slot"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outgoing_email_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["lease_until"],
                name="outgoing_email_sending",
                condition=models.Q(status="sending"),
            ),
            models.Index(
                fields=["-created_at"],
                name="outgoing_email_problems",
                condition=models.Q(status__in=["failed", "unconfirmed"]),
            ),
            # The outbox page's counts by kind and state, from the index alone (issue 21:
            # 100,000 emails counted in a scan of the table took 75 ms).
            models.Index(fields=["kind", "status"], name="outgoing_email_kind_status"),
            # Sent in the last week (the page's summary).
            models.Index(
                fields=["sent_at"], name="outgoing_email_sent", condition=models.Q(status="sent")
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for user {self.user_id}: {self.status}"

    @property
    def recipient(self) -> str:
        """The address it goes to (an account's as it is now, unless another was named)."""
        if self.to_address:
            return self.to_address
        return self.user.email if self.user_id else ""

    @property
    def sent_again_by_its_owner(self) -> bool:
        return self.kind in SENT_AGAIN_BY_THEIR_OWNER
