import secrets

from django.conf import settings
from django.db import models

# No 0/O, 1/I/L or U: a reference read out over the phone must not be misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    return "LC-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    ACTIVE = "active", "Active"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Priority(models.TextChoices):
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    # A minor is involved, or there are threats or extortion.
    URGENT = "urgent", "Urgent"


class Case(models.Model):
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
    consent_to_contact_platforms = models.BooleanField(default=False)
    weekly_email = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["survivor", "-created_at"]),
            models.Index(fields=["assigned_to", "status"]),
        ]

    def __str__(self):
        return self.reference


class EventKind(models.TextChoices):
    CASE_OPENED = "case_opened", "Case opened"
    SIGHTING_LOGGED = "sighting_logged", "Sighting logged"
    EVIDENCE_ADDED = "evidence_added", "Evidence added"


class CaseEvent(models.Model):
    """Append-only timeline of a case; also its audit trail. Written by services only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    # What the event is about, by model label and key, e.g. ("evidence.sighting", "<uuid>").
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"])]

    def __str__(self):
        return f"{self.case_id} {self.kind}"
