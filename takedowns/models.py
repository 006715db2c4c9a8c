import datetime as dt
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from accounts.models import user_on_record
from leakcase.choices import QuickChoiceLabels

# The legal routes belong to the directory (platforms), which records the ones each platform
# answers to; a request takes one of them.
from platforms.models import LegalBasis

# The TAKE IT DOWN Act gives platforms 48 hours from a valid request to remove the images
# (47 U.S.C. 223a(a)(3)): the due time of a request under the Act, and the yardstick of the
# platform figures (share removed within it) for every platform.
TAKE_IT_DOWN_HOURS = 48


# --- the platform figures' summary: which days are stale --------------------------------

# The trigger's body: {touched} is one of the fixed subqueries below, no input.
_STALE_DAYS_SQL = """
    INSERT INTO takedowns_platformfigurestale (day)
    SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM ({touched}) touched
    WHERE sent_at IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
"""


# A request's rung figures (RungFigureDay) depend on the requests climbed from it: its
# removal counts at its rung only if no request escalated from it was sent before the
# removal. So a change to a request also makes stale the day its ladder's lower rung was
# sent on ({rows}: the transition table).
_LOWER_RUNGS_SQL = (
    " UNION SELECT lower.sent_at FROM takedowns_takedownrequest lower"
    " WHERE lower.id IN (SELECT escalated_from_id FROM {rows})"
)


def figures_stale_triggers(*, ladder: bool = False) -> list:
    """Statement-level triggers marking the UTC days (of sent_at) of every row a statement
    inserts, updates or deletes stale in PlatformFigureStale, whatever wrote it (a service,
    a queryset update, a cascade, COPY): the summaries of those days are worked out again
    before the figures are read (takedowns/services.py, platform_figures_refresh). With
    `ladder` (the requests), the days of the requests they were escalated from too. One
    trigger per operation: PostgreSQL allows transition tables for one event only."""
    import pgtrigger

    def lower(rows: str) -> str:
        return _LOWER_RUNGS_SQL.format(rows=rows) if ladder else ""

    def trigger(operation, name: str, referencing: dict):
        # The rows the statement touched: its transition tables (fixed names, no input).
        tables = referencing.values()
        touched = " UNION ".join(f"SELECT sent_at FROM {t}" for t in tables)  # noqa: S608
        touched += "".join(lower(t) for t in tables)
        return pgtrigger.Trigger(
            name=f"figures_stale_{name}",
            when=pgtrigger.After,
            operation=operation,
            level=pgtrigger.Statement,
            referencing=pgtrigger.Referencing(**referencing),
            func=_STALE_DAYS_SQL.format(touched=touched),
        )

    return [
        trigger(pgtrigger.Insert, "insert", {"new": "new_rows"}),
        trigger(pgtrigger.Update, "update", {"old": "old_rows", "new": "new_rows"}),
        trigger(pgtrigger.Delete, "delete", {"old": "old_rows"}),
    ]


class TakedownStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("request status", "Draft")
    SENT = "sent", pgettext_lazy("request status", "Sent")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("request status", "Acknowledged")
    REMOVED = "removed", pgettext_lazy("request status", "Removed")
    PARTIALLY_REMOVED = "partially_removed", pgettext_lazy("request status", "Partially removed")
    REJECTED = "rejected", pgettext_lazy("request status", "Rejected")
    ESCALATED = "escalated", pgettext_lazy("request status", "Escalated")


# Sent and waiting on the platform: these are on a clock (due_at).
WAITING_STATUSES = (TakedownStatus.SENT, TakedownStatus.ACKNOWLEDGED, TakedownStatus.ESCALATED)


class Channel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("how a request was sent", "Email")
    WEB_FORM = "web_form", pgettext_lazy("how a request was sent", "Platform's web form")
    OTHER = "other", pgettext_lazy("how a request was sent", "Other")


class SignerCapacity(models.TextChoices):
    SELF = "self", gettext_lazy("The person shown, signing for herself")
    AUTHORISED = "authorised", gettext_lazy("Someone authorised to act for her")


class Rung(models.TextChoices):
    """The ladder a request climbs when its recipient lets the clock run out or refuses
    (takedowns/ladder.py says each rung's recipient, clock and template). Each rung climbed
    is its own request: its own notice, recipient, letters, clock and figures."""

    SITE = "site", "The site"
    HOST = "host", "Hosting provider"
    REGISTRAR = "registrar", "Domain registrar"
    CDN = "cdn", "CDN or proxy"
    FTC = "ftc", "US Federal Trade Commission"
    DSA_COMPLAINT = "dsa_complaint", "Platform's internal complaint (DSA Art. 20)"
    DSA_SETTLEMENT = "dsa_settlement", "Out-of-court dispute settlement (DSA Art. 21)"
    DSA_COORDINATOR = "dsa_coordinator", "Digital Services Coordinator (DSA Art. 53)"


class TakedownRequest(QuickChoiceLabels, models.Model):
    """One notice to one platform for one or more sightings of one case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="takedowns")
    platform = models.ForeignKey(
        "platforms.Platform",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="takedowns",
    )
    # For an unknown platform: the site's host, and the recipient staff find (hosting provider).
    host = models.CharField(max_length=253, blank=True)
    recipient_name = models.CharField(max_length=120, blank=True)
    recipient_email = models.EmailField(blank=True)
    # A recipient that takes reports only through its own form (a CDN's abuse form, a
    # regulator's complaint form): the text is copied into it and the request marked
    # submitted with the form's reference.
    recipient_form_url = models.URLField(max_length=500, blank=True)
    # An address that is not in the platform directory is written to only once a caseworker
    # has vouched for it: otherwise any account could make LeakCase email anyone. The
    # approval holds for the address approved, not for whatever the field says later.
    recipient_approved_email = models.EmailField(blank=True)
    recipient_approved_by = user_on_record()
    recipient_approved_at = models.DateTimeField(null=True, blank=True)
    sightings = models.ManyToManyField("evidence.Sighting", related_name="takedowns")
    status = models.CharField(
        max_length=20, choices=TakedownStatus.choices, default=TakedownStatus.DRAFT
    )
    legal_basis = models.CharField(
        max_length=20, choices=LegalBasis.choices, default=LegalBasis.PLATFORM_POLICY
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)

    # What the notice says. Checked by takedowns.notices.lint before it can be sent.
    signer_name = models.CharField("signature (full name)", max_length=120, blank=True)
    signer_capacity = models.CharField(
        max_length=12, choices=SignerCapacity.choices, default=SignerCapacity.SELF
    )
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_address = models.TextField(max_length=500, blank=True)
    content_description = models.TextField(
        "description of the images", max_length=2000, blank=True
    )
    copyright_work = models.TextField("the copyrighted work", max_length=2000, blank=True)
    illegality_explanation = models.TextField(
        "why the content is illegal", max_length=4000, blank=True
    )
    search_result_urls = models.TextField("search result addresses", blank=True)
    confirms_no_consent = models.BooleanField(default=False)
    confirms_good_faith = models.BooleanField(default=False)
    confirms_accuracy = models.BooleanField(default=False)
    confirms_perjury = models.BooleanField(default=False)
    confirms_copyright_owner = models.BooleanField(default=False)
    confirms_not_paid = models.BooleanField(default=False)

    # Frozen when sent: the exact text that went out, and the template it came from.
    notice_template = models.CharField(max_length=40, blank=True)
    notice_text = models.TextField(blank=True)
    ticket_number = models.CharField(max_length=120, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    decision_reasons = models.TextField(blank=True)
    # The platform's outcome (removed, partly removed, rejected) as the survivor recorded it
    # herself: it counts in the platform figures only once staff have confirmed it.
    decision_by_survivor = models.BooleanField(default=False)
    decision_confirmed_by = user_on_record()
    decision_confirmed_at = models.DateTimeField(null=True, blank=True)
    # DMCA counter-notice: material may be restored 10-14 business days after it.
    counter_notice_on = models.DateField(null=True, blank=True)
    restore_window_from = models.DateField(null=True, blank=True)
    restore_window_to = models.DateField(null=True, blank=True)
    # DSA Art. 20: a complaint is possible for 6 months after the platform's decision.
    complaint_deadline = models.DateField(null=True, blank=True)
    escalated_to = models.CharField(max_length=200, blank=True)
    # The ladder: which rung this request is, the request of the rung below it (whose
    # silence or refusal this one follows up, and quotes), and when the ladder's dispatcher
    # claimed this request to prepare the next rung (a conditional UPDATE sets it once, so
    # two beats never prepare the same rung twice).
    rung = models.CharField(max_length=20, choices=Rung.choices, default=Rung.SITE)
    escalated_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
    )
    # Content back on a new host: a new ladder starts at the site rung and quotes the
    # earlier one, from the last request of that earlier ladder.
    reappeared_after = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="restarts",
    )
    ladder_climbed_at = models.DateTimeField(null=True, blank=True)
    # Rungs passed over on the way to this one, because no contact was known for them.
    rungs_skipped = models.JSONField(default=list, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="takedown_waiting_due",
                condition=models.Q(status__in=WAITING_STATUSES),
            ),
            models.Index(fields=["case", "status"]),
            models.Index(fields=["platform", "sent_at"]),
            # The ladder's dispatcher looks only at requests not yet climbed from.
            models.Index(
                fields=["due_at"],
                name="takedown_ladder_unclimbed",
                condition=models.Q(ladder_climbed_at__isnull=True) & ~models.Q(status="draft"),
            ),
            # The figures' summary works a day out again from the requests sent that day.
            models.Index(fields=["sent_at"], name="takedown_sent_at"),
        ]
        constraints = [
            # One next rung per request, whoever prepares it (the last guard behind the
            # dispatcher's claim).
            models.UniqueConstraint(
                fields=["escalated_from"],
                condition=models.Q(escalated_from__isnull=False),
                name="one_next_rung_per_request",
            ),
        ]
        triggers = figures_stale_triggers(ladder=True)

    def __str__(self):
        return f"{self.get_status_display()} takedown {self.id}"

    @property
    def recipient(self) -> str:
        if self.platform:
            return self.platform.name
        return self.recipient_name or gettext("Unknown platform (%(host)s)") % {"host": self.host}

    @property
    def recipient_address(self) -> str:
        return self.recipient_email or (self.platform.abuse_email if self.platform else "")

    @property
    def recipient_approved(self) -> bool:
        """A caseworker approved the address the request now names."""
        approved = self.recipient_approved_email
        return bool(approved) and approved.lower() == self.recipient_email.strip().lower()

    @property
    def decision_awaits_confirmation(self) -> bool:
        return self.decision_by_survivor and self.decision_confirmed_at is None

    def outcome_for_figures(self) -> tuple[str, dt.datetime | None]:
        """(status, removed_at) as the platform figures count them: an outcome she recorded
        herself counts as no outcome yet (sent) until staff confirm it."""
        if self.decision_awaits_confirmation:
            return TakedownStatus.SENT, None
        return self.status, self.removed_at


class Direction(models.TextChoices):
    OUT = "out", pgettext_lazy("letter direction", "Sent")
    IN = "in", pgettext_lazy("letter direction", "Received")


class CorrespondenceKind(models.TextChoices):
    NOTICE = "notice", pgettext_lazy("letter kind", "Notice")
    REMINDER = "reminder", pgettext_lazy("letter kind", "Reminder")
    REPLY = "reply", pgettext_lazy("letter kind", "Platform reply")
    COUNTER_NOTICE = "counter_notice", pgettext_lazy("letter kind", "Counter-notice")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("delivery status", "Pending")
    SENT = "sent", pgettext_lazy("delivery status", "Sent")
    FAILED = "failed", pgettext_lazy("delivery status", "Failed")
    RECEIVED = "received", pgettext_lazy("delivery status", "Received")
    # The mail server took it, and later the recipient's server sent it back (a bounce,
    # inbound/): the platform never got it; another channel is needed.
    UNDELIVERED = "undelivered", pgettext_lazy("delivery status", "Returned undelivered")


class Correspondence(QuickChoiceLabels, models.Model):
    """Each message out (notice, reminder) and in (platform reply): the letter in the
    request's history. An emailed one is sent as an email in the outbox (`email`), written
    with it, before the message is handed to the mail server; its status follows that
    email's (takedowns.services.letter_settle)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    takedown = models.ForeignKey(
        TakedownRequest, on_delete=models.CASCADE, related_name="correspondence"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=16, choices=CorrespondenceKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    sequence = models.PositiveSmallIntegerField(default=1)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=11, choices=DeliveryStatus.choices)
    error = models.TextField(blank=True)
    # The outbox's row that sends it (emailed letters written since the outbox has them).
    email = models.ForeignKey(
        "outbox.OutgoingEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who sent it (a notice: counted for the sending limit) or recorded it (a reply: hers
    # is marked as hers). Empty for what the service sends by itself (reminders).
    created_by = user_on_record()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The sending limit counts one account's emailed notices of the last hour.
            models.Index(
                fields=["created_by", "created_at"],
                name="notice_emails_by_sender",
                condition=models.Q(kind="notice", channel="email"),
            )
        ]
        constraints = [
            # A reminder is claimed by its row before it is sent: two workers, two beats or
            # a retry cannot send the same one twice; a failed one can be tried again.
            models.UniqueConstraint(
                fields=["takedown", "sequence"],
                condition=models.Q(kind="reminder", status__in=["pending", "sent"]),
                name="one_reminder_per_sequence",
            ),
            # A double click or a second tab cannot email the same notice twice: the second
            # pending row is refused. A failed attempt frees the way for a retry.
            models.UniqueConstraint(
                fields=["takedown"],
                condition=models.Q(kind="notice", status__in=["pending", "sent"]),
                name="one_notice_per_takedown",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.get_direction_display().lower()}"


class AnonymousOutcome(QuickChoiceLabels, models.Model):
    """What is left of a sent request when its survivor erases her account: the platform and
    the times, nothing that points back to her. Platform figures count these too."""

    platform = models.ForeignKey("platforms.Platform", null=True, on_delete=models.SET_NULL)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    status = models.CharField(max_length=20, choices=TakedownStatus.choices)
    sent_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at"], name="anonymous_outcome_sent_at")]
        triggers = figures_stale_triggers()

    def __str__(self):
        return f"{self.platform_id} {self.status}"


class LadderRungSetting(QuickChoiceLabels, models.Model):
    """A service's own choice for one rung: how long to wait for its recipient before the
    next rung's draft is prepared (empty: the default in takedowns/ladder.py, with its
    source), and whether a prepared draft goes out by itself. Supervisors edit these."""

    rung = models.CharField(max_length=20, choices=Rung.choices, unique=True)
    wait_hours = models.PositiveIntegerField(null=True, blank=True)
    send_automatically = models.BooleanField(default=False)
    changed_by = user_on_record()
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.rung}: {self.wait_hours}h auto={self.send_automatically}"


# Hours from sent to removed, in fixed buckets [edge, next edge); the last is open. Finer
# where most removals fall (the first two days), coarser after; few, because the figures
# add up every bucket of every day in the range (2 x 34 sums over days x platforms rows).
# The median and 90th percentile are read from each bucket's count and total hours: exact
# when the ranks they need fall in a bucket holding one removal (or equal ones), otherwise
# within that bucket, near its mean.
REMOVAL_HOUR_EDGES = (0, 0.5, 1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 30, 36, 42, 48)
REMOVAL_HOUR_EDGES += (60, 72, 84, 96, 120, 144, 168, 216, 264, 336, 432, 528, 720, 1080)
REMOVAL_HOUR_EDGES += (1440, 2160)


class PlatformFigureDay(QuickChoiceLabels, models.Model):
    """The platform figures of the requests sent on one UTC day to one platform under one
    legal basis, sent requests and erased survivors' anonymous outcomes together, counted
    as the figures count them (an outcome she recorded herself counts once confirmed).
    Worked out again from the requests for each stale day (PlatformFigureStale); read by
    takedowns.selectors.platform_figures, summed over the days of a range."""

    day = models.DateField()
    platform = models.ForeignKey("platforms.Platform", null=True, on_delete=models.CASCADE)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    sent = models.PositiveIntegerField()
    removed = models.PositiveIntegerField()
    rejected = models.PositiveIntegerField()
    removed_within_48h = models.PositiveIntegerField()
    # Per bucket of REMOVAL_HOUR_EDGES (and a first one, below 0 hours, which only a
    # removal dated before its sending falls in): how many removals, and their hours added.
    removal_counts = ArrayField(models.PositiveIntegerField())
    removal_hours = ArrayField(models.FloatField())
    worked_out_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["day"])]

    def __str__(self):
        return f"{self.day} {self.platform_id} {self.legal_basis}: {self.sent} sent"


class RungFigureDay(QuickChoiceLabels, models.Model):
    """Removals by rung of the ladder (takedowns/ladder.py) for the requests sent on one UTC
    day: how many were sent at each rung, how many removals count at it (a removal counts
    at the highest rung sent when it came: a ladder's one removal counts once, where it
    worked; her own recorded outcome once staff confirm it), and those removals' hours from
    sending in the buckets of REMOVAL_HOUR_EDGES. Worked out with PlatformFigureDay, read by
    takedowns.selectors.rung_figures."""

    day = models.DateField()
    rung = models.CharField(max_length=20, choices=Rung.choices)
    sent = models.PositiveIntegerField()
    removed = models.PositiveIntegerField()
    removal_counts = ArrayField(models.PositiveIntegerField())
    removal_hours = ArrayField(models.FloatField())
    worked_out_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["day"])]

    def __str__(self):
        return f"{self.day} {self.rung}: {self.sent} sent"


class PlatformFigureStale(models.Model):
    """A UTC day whose requests changed since its summary was worked out (the triggers of
    figures_stale_triggers write these)."""

    day = models.DateField(primary_key=True)

    def __str__(self):
        return str(self.day)
