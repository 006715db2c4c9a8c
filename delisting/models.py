import uuid

from django.db import models

from accounts.models import user_on_record
from delisting.engines import Listing, SearchEngine
from leakcase.choices import QuickChoiceLabels


class SearchListing(QuickChoiceLabels, models.Model):
    """One link in one search engine: whether it shows in results, whether delisting was
    asked and done, and, once the page is gone, whether the engine's outdated result was
    asked to go. Tracked apart from the link's own status (evidence.Sighting.status)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sighting = models.ForeignKey(
        "evidence.Sighting", on_delete=models.CASCADE, related_name="search_listings"
    )
    engine = models.CharField(max_length=10, choices=SearchEngine.choices)
    listing = models.CharField(max_length=12, choices=Listing.choices, default=Listing.UNKNOWN)
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = user_on_record()
    # The NCII request to the engine (a takedown request to its directory entry): its sent
    # time is "delisting requested", its due time the engine's deadline.
    delisting_request = models.ForeignKey(
        "takedowns.TakedownRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="search_listings",
    )
    delisted_at = models.DateTimeField(null=True, blank=True)
    # After the host removed the page: the engine's tool for outdated results.
    outdated_removal_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["engine"]
        constraints = [
            models.UniqueConstraint(fields=["sighting", "engine"], name="one_listing_per_engine")
        ]

    def __str__(self):
        return f"{self.get_engine_display()}: {self.get_listing_display()}"
