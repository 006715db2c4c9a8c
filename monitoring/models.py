from django.db import models
from django.utils.translation import pgettext_lazy

from leakcase.choices import QuickChoiceLabels


class Outcome(models.TextChoices):
    """What one recheck found (DESIGN.md, "Recheck outcomes")."""

    LIVE = "live", pgettext_lazy("automatic check outcome", "Live")
    REMOVED = "removed", pgettext_lazy("automatic check outcome", "Removed")
    SOFT_REMOVED = (
        "soft_removed",
        pgettext_lazy("automatic check outcome", "Removed (placeholder page)"),
    )
    LOGIN_WALLED = "login_walled", pgettext_lazy("automatic check outcome", "Behind a login")
    GEO_BLOCKED = "geo_blocked", pgettext_lazy("automatic check outcome", "Blocked in our region")
    UNREACHABLE = "unreachable", pgettext_lazy("automatic check outcome", "Unreachable")
    BLOCKED = "blocked", pgettext_lazy("automatic check outcome", "Refused by our fetching rules")
    REAPPEARED = "reappeared", pgettext_lazy("automatic check outcome", "Back after removal")


class UrlCheck(QuickChoiceLabels, models.Model):
    """One recheck of a sighting: the history a sighting keeps."""

    sighting = models.ForeignKey(
        "evidence.Sighting", on_delete=models.CASCADE, related_name="checks"
    )
    checked_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.CharField(max_length=2048, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    bytes_read = models.PositiveIntegerField(default=0)
    elapsed_ms = models.PositiveIntegerField(default=0)
    distance = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        # The table evidence made for it: the model moved to this app, its rows did not.
        db_table = "evidence_urlcheck"
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["sighting", "-checked_at"])]

    def __str__(self):
        return f"{self.sighting_id} {self.outcome}"


class SitePace(models.Model):
    """How many rechecks of one site the dispatchers handed out in its current minute: the
    memory that keeps a site's rate (Platform.checks_per_minute) across dispatch runs, two
    dispatchers at once included (monitoring.services.rechecks_dispatch locks the row)."""

    # "platform:<id>" for a site in the platform directory (its domains share one pace),
    # "host:<digest of the host>" for one that is not (monitoring.services._site).
    site = models.CharField(max_length=270, unique=True)
    minute_started_at = models.DateTimeField()
    handed_out = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.site} {self.handed_out}"
