import uuid

from django.db import models


class Platform(models.Model):
    """A site that hosts or indexes content, and where its takedown requests go."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PlatformDomain(models.Model):
    """A registrable domain (or exact host) that belongs to a platform: x.com, twitter.com."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain


class TakedownStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    REMOVED = "removed", "Removed"
    PARTIALLY_REMOVED = "partially_removed", "Partially removed"
    REJECTED = "rejected", "Rejected"
    ESCALATED = "escalated", "Escalated"


# Sent and waiting on the platform: these are on a clock (due_at).
WAITING_STATUSES = (TakedownStatus.SENT, TakedownStatus.ACKNOWLEDGED, TakedownStatus.ESCALATED)


class TakedownRequest(models.Model):
    """One notice to one platform for one or more sightings of one case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="takedowns")
    platform = models.ForeignKey(
        Platform, null=True, blank=True, on_delete=models.PROTECT, related_name="takedowns"
    )
    sightings = models.ManyToManyField("evidence.Sighting", related_name="takedowns")
    status = models.CharField(
        max_length=20, choices=TakedownStatus.choices, default=TakedownStatus.DRAFT
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="takedown_waiting_due",
                condition=models.Q(status__in=WAITING_STATUSES),
            ),
            models.Index(fields=["case", "status"]),
        ]

    def __str__(self):
        return f"{self.get_status_display()} takedown {self.id}"
