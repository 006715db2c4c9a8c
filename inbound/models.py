"""Mail that comes back: platforms' replies, their auto-acknowledgements, bounces.

Every message is kept whole, sealed like evidence (inbound/vault.py), so staff can always
download exactly what arrived; what the pages show is the text drawn from it, cleaned. The
server never opens an attachment: it is sealed as it came, with its name, type, size and
SHA-256, and only an archive's table of contents is read, to refuse zip bombs.
"""

import uuid

from django.db import models

from accounts.models import user_on_record
from leakcase.choices import QuickChoiceLabels


class InboundKind(models.TextChoices):
    REPLY = "reply", "Reply"
    AUTO_REPLY = "auto_reply", "Automatic reply"
    BOUNCE = "bounce", "Delivery failure"
    UNKNOWN = "unknown", "Not read (quarantined)"


class InboundStatus(models.TextChoices):
    FILED = "filed", "Filed on a request"
    INBOX = "inbox", "In the staff inbox"
    QUARANTINED = "quarantined", "Quarantined"


class RoutedBy(models.TextChoices):
    TOKEN = "token", "Reply address of the request"
    IN_REPLY_TO = "in_reply_to", "In-Reply-To of our notice"
    REFERENCES = "references", "References of our notice"
    RETURNED_MESSAGE = "returned", "The returned notice (bounce)"
    TICKET = "ticket", "Ticket number in the subject"
    HAND = "hand", "Filed by hand"


class Decision(models.TextChoices):
    """What a platform's answer says, as staff confirm it (inbound/wording.py suggests)."""

    REMOVED = "removed", "Removed"
    REFUSED = "refused", "Refused"
    MORE_INFORMATION = "more_information", "More information needed"
    COUNTER_NOTICE = "counter_notice", "Counter-notice"
    NOTHING = "nothing", "Just a message (no decision)"


def _inbound_path(instance, filename):
    # Nothing about the message in the path: a listing of storage says nothing.
    return f"inbound/{instance.pk}/{filename}"


class InboundMessage(QuickChoiceLabels, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Filed once: its Message-ID, or "sha256:<hex>" of the raw bytes when it has none.
    message_id = models.CharField(max_length=998, unique=True)
    source = models.CharField(max_length=200)  # "imap:<mailbox>" or "webhook:<provider>"
    received_at = models.DateTimeField()
    from_address = models.CharField(max_length=998, blank=True)
    to_addresses = models.TextField(blank=True)
    subject = models.CharField(max_length=998, blank=True)
    # The whole message as it came, sealed under the message's own data key.
    raw = models.FileField(upload_to=_inbound_path, max_length=200)
    raw_size = models.PositiveBigIntegerField()
    raw_sha256 = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32)
    wrapped_key = models.CharField(max_length=120)
    # The words of the message as text (HTML cleaned by nh3 and turned into text), and the
    # cleaned HTML itself (no images, no scripts, no styles) for the "formatted" view.
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=InboundKind.choices)
    status = models.CharField(max_length=12, choices=InboundStatus.choices)
    quarantine_reason = models.TextField(blank=True)
    takedown = models.ForeignKey(
        "takedowns.TakedownRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="inbound_messages",
    )
    routed_by = models.CharField(max_length=12, choices=RoutedBy.choices, blank=True)
    # A bounce: the letter (notice or reminder) that did not arrive.
    returned_letter = models.ForeignKey(
        "takedowns.Correspondence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket_number = models.CharField(max_length=120, blank=True)
    suggested_decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    suggestion_rule = models.CharField(max_length=200, blank=True)
    # Staff's word: filed by hand, and the decision confirmed (only then does it change the
    # request, and only then does she see it).
    filed_by = user_on_record()
    filed_at = models.DateTimeField(null=True, blank=True)
    confirmed_decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    confirmed_by = user_on_record()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The request's reply row the confirmation wrote.
    letter = models.ForeignKey(
        "takedowns.Correspondence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["-received_at"],
                name="inbound_waiting_for_staff",
                condition=models.Q(status__in=["inbox", "quarantined"]),
            ),
            models.Index(fields=["takedown", "-received_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.message_id}"

    @property
    def awaits_confirmation(self) -> bool:
        return (
            self.status == InboundStatus.FILED
            and self.kind == InboundKind.REPLY
            and self.confirmed_at is None
        )


class InboundAttachment(models.Model):
    """A file that came with a message: sealed as it came, never opened by the server."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    # Its name as the sender gave it, sealed under the message's key like the file.
    name_sealed = models.TextField(blank=True)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=_inbound_path, max_length=200)
    # Why the message was quarantined because of this file, if it was (a zip bomb).
    refused_because = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.content_type} {self.size} bytes"
