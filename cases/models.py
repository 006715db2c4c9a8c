import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy

from leakcase.choices import QuickChoiceLabels

# No 0/O, 1/I/L or U: a reference read out over the phone must not be misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    return "LC-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class CaseStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("case status", "New")
    ACTIVE = "active", pgettext_lazy("case status", "Active")
    MONITORING = "monitoring", pgettext_lazy("case status", "Monitoring")
    RESOLVED = "resolved", pgettext_lazy("case status", "Resolved")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")


class Priority(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("case priority", "Normal")
    HIGH = "high", pgettext_lazy("case priority", "High")
    # A minor is involved, or there are threats or extortion.
    URGENT = "urgent", pgettext_lazy("case priority", "Urgent")


# Our own service target, not a legal deadline: how soon after a live link is logged a
# takedown should be on its way. Legal clocks start when the notice is sent (takedowns).
ACTION_WINDOWS = {
    Priority.URGENT: dt.timedelta(hours=12),
    Priority.HIGH: dt.timedelta(hours=24),
    Priority.NORMAL: dt.timedelta(hours=72),
}


def action_due_at(priority: str, logged_at: dt.datetime) -> dt.datetime:
    return logged_at + ACTION_WINDOWS[priority]


class NoticeContact(models.TextChoices):
    """The email address a notice gives the platform. Notices can be published (the Lumen
    database keeps DMCA notices with their contact details), so hers goes in only if she
    chose it."""

    SERVICE = "service", gettext_lazy("LeakCase's reply address")
    OWN_EMAIL = "own_email", gettext_lazy("Her own email address")


class Case(QuickChoiceLabels, models.Model):
    """One survivor's takedown case: every sighting, proof and request hangs off it."""

    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    survivor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        help_text="Empty when staff opened the case for someone without an account.",
    )
    contact_email = models.EmailField(blank=True)
    pseudonym = models.CharField(max_length=80)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    jurisdiction = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 country code; decides the legal routes."
    )
    # Why a case is urgent, kept so triage can be explained and reviewed.
    involves_minor = models.BooleanField(default=False)
    threats_or_extortion = models.BooleanField(default=False)
    # Her recorded consent that LeakCase may write to platforms for her (DESIGN.md, "The life
    # of a case", step 3). Changed only by cases.services.case_set_consent, with its event.
    consent_to_contact_platforms = models.BooleanField(default=False)
    # Her recorded consent that staff may give the fingerprints (hashes) of her images to
    # find to platforms and hash-sharing programmes (evidence.hash_exchange): a separate
    # question from writing to platforms. Changed only by cases.services.case_set_hash_sharing.
    consent_to_share_hashes = models.BooleanField(default=False)
    notice_contact = models.CharField(
        max_length=10, choices=NoticeContact.choices, default=NoticeContact.SERVICE
    )
    # A claim link for a case opened by staff for someone without an account. Changing the
    # nonce voids every link issued before; claiming clears it, so a link works once.
    invitation_nonce = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept by cases.services.event_record, so the caseload sorts by it without a join.
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The earliest of its waiting requests' due times and its still-up links' action due
    # times: what the caseload sorts and filters by (overdue). Kept by triggers on the
    # requests and the links (takedowns migration 0016), whatever writes them, so the
    # caseload reads a column instead of two subqueries for every case.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_due_at"], name="case_next_due"),
            models.Index(fields=["survivor", "-created_at"]),
            models.Index(fields=["assigned_to", "status"]),
            models.Index(
                fields=["status"], name="case_unassigned", condition=models.Q(assigned_to=None)
            ),
        ]

    def __str__(self):
        return self.reference


# Where a case may go next, and only there (DESIGN.md, "The life of a case"). Reopening a
# resolved or closed case is allowed: images come back.
STATUS_TRANSITIONS = {
    CaseStatus.NEW: {CaseStatus.ACTIVE, CaseStatus.CLOSED},
    CaseStatus.ACTIVE: {CaseStatus.MONITORING, CaseStatus.RESOLVED, CaseStatus.CLOSED},
    CaseStatus.MONITORING: {CaseStatus.ACTIVE, CaseStatus.RESOLVED},
    CaseStatus.RESOLVED: {CaseStatus.CLOSED, CaseStatus.ACTIVE},
    CaseStatus.CLOSED: {CaseStatus.ACTIVE},
}


class EventKind(models.TextChoices):
    CASE_OPENED = "case_opened", pgettext_lazy("case event", "Case opened")
    SIGHTING_LOGGED = "sighting_logged", pgettext_lazy("case event", "Sighting logged")
    EVIDENCE_ADDED = "evidence_added", pgettext_lazy("case event", "Evidence added")
    TRIAGED = "triaged", pgettext_lazy("case event", "Priority changed")
    STATUS_CHANGED = "status_changed", pgettext_lazy("case event", "Status changed")
    ASSIGNED = "assigned", pgettext_lazy("case event", "Assigned")
    NOTE_ADDED = "note_added", pgettext_lazy("case event", "Note added")
    INVITATION_ISSUED = "invitation_issued", pgettext_lazy("case event", "Invitation issued")
    CLAIMED = "claimed", pgettext_lazy("case event", "Claimed by the survivor")
    TAKEDOWN_DRAFTED = "takedown_drafted", pgettext_lazy("case event", "Takedown request drafted")
    TAKEDOWN_SENT = "takedown_sent", pgettext_lazy("case event", "Takedown request sent")
    TAKEDOWN_REPLY = "takedown_reply", pgettext_lazy("case event", "Platform replied")
    TAKEDOWN_ESCALATED = "takedown_escalated", pgettext_lazy("case event", "Takedown escalated")
    COUNTER_NOTICE = "counter_notice", pgettext_lazy("case event", "Counter-notice received")
    REFERENCE_ADDED = "reference_added", pgettext_lazy("case event", "Reference image hashed")
    REFERENCE_REMOVED = "reference_removed", pgettext_lazy("case event", "Reference image removed")
    MATCH_CONFIRMED = "match_confirmed", pgettext_lazy("case event", "Copy confirmed")
    SIGHTING_STATUS = "sighting_status", pgettext_lazy("case event", "Link status changed")
    TAKEDOWN_REMINDER = (
        "takedown_reminder",
        pgettext_lazy("case event", "Reminder sent to the platform"),
    )
    CONSENT_GIVEN = (
        "consent_given",
        pgettext_lazy("case event", "Consent to write to platforms given"),
    )
    CONSENT_WITHDRAWN = (
        "consent_withdrawn",
        pgettext_lazy("case event", "Consent to write to platforms withdrawn"),
    )
    NOTICE_CONTACT = (
        "notice_contact",
        pgettext_lazy("case event", "Contact address for notices changed"),
    )
    RECIPIENT_APPROVED = (
        "recipient_approved",
        pgettext_lazy("case event", "Recipient address approved"),
    )
    DECISION_CONFIRMED = (
        "decision_confirmed",
        pgettext_lazy("case event", "Recorded reply confirmed"),
    )
    TAKEDOWN_EDITED = "takedown_edited", pgettext_lazy("case event", "Takedown draft edited")
    CROP_SEARCHED = "crop_searched", pgettext_lazy("case event", "Marked area searched for copies")
    # The conversation (cases/thread.py). Events say that a message was sent, corrected or
    # withdrawn and by whom, never what it said.
    MESSAGE_SENT = "message_sent", pgettext_lazy("case event", "Message sent")
    MESSAGE_EDITED = "message_edited", pgettext_lazy("case event", "Message corrected")
    MESSAGE_WITHDRAWN = "message_withdrawn", pgettext_lazy("case event", "Message withdrawn")
    SIGHTING_CORRECTED = "sighting_corrected", pgettext_lazy("case event", "Link corrected")
    SIGHTING_WITHDRAWN = (
        "sighting_withdrawn",
        pgettext_lazy("case event", "Link removed from the list"),
    )
    # The industry's hash programmes (cases.programme_services, evidence.hash_exchange).
    # Events never carry a programme's case number, nor any hash: only what changed.
    PROGRAMME_RECORDED = (
        "programme_recorded",
        pgettext_lazy("case event", "Hash programme case recorded"),
    )
    HASH_SHARING_GIVEN = (
        "hash_sharing_given",
        pgettext_lazy("case event", "Consent to share image fingerprints given"),
    )
    HASH_SHARING_WITHDRAWN = (
        "hash_sharing_withdrawn",
        pgettext_lazy("case event", "Consent to share image fingerprints withdrawn"),
    )
    HASHES_EXPORTED = (
        "hashes_exported",
        pgettext_lazy("case event", "Image fingerprints exported for hash sharing"),
    )
    # Search results, tracked apart from removal (delisting.services): what was seen in an
    # engine's results and what was asked of it. Never the address or the search words.
    SEARCH_LISTING = (
        "search_listing",
        pgettext_lazy("case event", "Search result status recorded"),
    )
    # Who hosts a site (hosting/): a lookup found a link's site on another network owner.
    HOST_CHANGED = "host_changed", pgettext_lazy("case event", "Site moved to another host")
    # Mail that came back (inbound/): an automatic acknowledgement's ticket number, and a
    # notice or reminder the platform's mail server returned.
    TICKET_NOTED = "ticket_noted", pgettext_lazy("case event", "Platform's ticket number noted")
    LETTER_UNDELIVERED = (
        "letter_undelivered",
        pgettext_lazy("case event", "Notice returned undelivered"),
    )


# Events that say something only staff may know (why a case is urgent, an internal note).
# A change of host is staff's work item (write to the new host); what she sees is the
# request's outcome when it comes. A returned notice is staff's to act on (another channel)
# and to tell her about in their words: her request has not changed, and the line alone
# would only alarm her.
INTERNAL_EVENT_KINDS = {
    EventKind.TRIAGED,
    EventKind.INVITATION_ISSUED,
    EventKind.HOST_CHANGED,
    EventKind.LETTER_UNDELIVERED,
}


class CaseEvent(QuickChoiceLabels, models.Model):
    """Append-only timeline of a case; also its audit trail. Written by services only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    # Hidden from the survivor's timeline: triage reasons, internal notes.
    internal = models.BooleanField(default=False)
    # What the event is about, by model label and key, e.g. ("evidence.sighting", "<uuid>").
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The timeline's order, id included: without it PostgreSQL sorted every event of the
        # case and joined their actors by hashing the whole users table (3.5 ms at 10,000
        # users, growing with them) for the page's 25.
        indexes = [models.Index(fields=["case", "-created_at", "-id"], name="case_timeline_order")]

    def __str__(self):
        return f"{self.case_id} {self.kind}"


class NoteVisibility(models.TextChoices):
    INTERNAL = "internal", gettext_lazy("Internal (staff only)")
    SHARED = "shared", gettext_lazy("Shared with the survivor")


class CaseNote(QuickChoiceLabels, models.Model):
    """A note on a case. Internal notes are for staff only, on every page and in every export.

    The notes shared with her, and the messages she writes, are the case's conversation
    (cases/thread.py): a shared note IS a message from staff, hers are shared notes with
    `from_survivor` set. One table, so nothing is migrated and nothing can drift apart."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=5000)
    visibility = models.CharField(
        max_length=8, choices=NoteVisibility.choices, default=NoteVisibility.INTERNAL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Written by her (the case's survivor), not by staff: always shared.
    from_survivor = models.BooleanField(default=False)
    # Corrections count up from 0; an edit names the revision it started from, so a second
    # tab's older copy never overwrites a newer text (cases.thread.message_edit).
    revision = models.PositiveIntegerField(default=0)
    edited_at = models.DateTimeField(null=True, blank=True)
    # A withdrawn message keeps its place in the thread ("withdrawn") but not its text.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The hidden key of the form that posted it: the same POST arriving twice (a double tap,
    # a restored tab) finds the message it already made instead of making a second.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["case", "visibility", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_survivor=False) | models.Q(visibility="shared"),
                name="survivor_messages_are_shared",
            )
        ]

    def __str__(self):
        return f"{self.get_visibility_display()} note on {self.case_id}"


class Programme(models.TextChoices):
    """The industry's hash programmes: she makes the fingerprints of her images on her own
    device, and participating platforms block uploads that match. StopNCII.org (SWGfL, the
    Revenge Porn Helpline's charity) is for adults' images; NCMEC's Take It Down for images
    taken when she was under 18, even if she is an adult now. Each gives her a case number
    and a PIN; we keep the case number only (cases.programme_services)."""

    STOPNCII = "stopncii", "StopNCII.org"
    TAKE_IT_DOWN = "take_it_down", "Take It Down (NCMEC)"


class ProgrammeCase(QuickChoiceLabels, models.Model):
    """Her case with one hash programme: its case number (never its PIN), when she made it,
    and when she withdrew it, if she did. One row per case and programme, kept up to date."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="programme_cases")
    programme = models.CharField(max_length=16, choices=Programme.choices)
    case_number = models.CharField(max_length=40)
    registered_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "programme"], name="one_record_per_case_and_programme"
            )
        ]

    def __str__(self):
        return f"{self.get_programme_display()} case of {self.case_id}"


class ThreadRead(models.Model):
    """How far one person has read one case's conversation: messages after `read_up_to`
    from someone else are new to her. Moved only forward (cases.thread.thread_mark_read)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="thread_reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_up_to = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="one_read_marker_per_reader")
        ]

    def __str__(self):
        return f"{self.user_id} read {self.case_id} up to {self.read_up_to}"


class UpdateNotice(models.Model):
    """Per person: whether she gets the neutral "You have an update" email when a message
    waits for her, and when the last one went (at most one an hour: cases.thread)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="update_notice",
    )
    enabled = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # A message came within the hour after the last notice: one more is owed at this time,
    # if she still has something unread then (cases.update_notices.update_notices_send_due).
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                name="update_notice_due",
                condition=models.Q(due_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"Update emails for {self.user_id}: {'on' if self.enabled else 'off'}"
