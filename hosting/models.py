from django.db import models
from django.utils import timezone

from leakcase.choices import QuickChoiceLabels


class Host(models.Model):
    """One host name as sightings spell it (Sighting.host), looked up as a whole: what the
    latest lookup found is its newest HostLookup. Cases never share rows here by reference:
    a host's facts are public facts about a site, not about a survivor."""

    name = models.CharField(max_length=253, unique=True)
    # When the weekly refresh should look it up again (hosting.services.hosts_claim_due).
    next_lookup_at = models.DateTimeField(default=timezone.now)
    # The address set a recheck last saw, sorted, kept here so the recheck path compares one
    # short list and writes nothing when it is unchanged (monitoring.recheck).
    addresses_seen = models.JSONField(default=list, blank=True)
    addresses_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["next_lookup_at"], name="host_next_lookup")]

    def __str__(self):
        return self.name


class LookupStatus(models.TextChoices):
    COMPLETE = "complete", "Complete"
    PARTIAL = "partial", "Partly answered"
    # A registry asked us to wait (429): tried again later, nothing recorded over the last
    # complete answer.
    FAILED = "failed", "Not answered"


class HostLookup(QuickChoiceLabels, models.Model):
    """One lookup of a host: its history. A change of host is two consecutive lookups with
    different network owners or address sets (hosting.services.host_facts_record)."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="lookups")
    looked_up_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, choices=LookupStatus.choices)
    registrable_domain = models.CharField(max_length=253, blank=True)
    domain_source = models.CharField(max_length=200, blank=True)
    registrar_name = models.CharField(max_length=300, blank=True)
    registrar_abuse_email = models.CharField(max_length=254, blank=True)
    registrar_abuse_phone = models.CharField(max_length=64, blank=True)
    registrar_abuse_url = models.CharField(max_length=500, blank=True)
    registrar_source = models.CharField(max_length=200, blank=True)
    addresses = models.JSONField(default=list, blank=True)  # sorted address texts
    addresses_source = models.CharField(max_length=200, blank=True)
    # Plain sentences for staff, e.g. "RDAP rdap.verisign.com: 404 not found".
    errors = models.JSONField(default=list, blank=True)
    # Whether this lookup found the site had moved (for the timeline and the figures).
    host_changed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-looked_up_at", "-id"]
        indexes = [models.Index(fields=["host", "-looked_up_at"])]

    def __str__(self):
        return f"{self.host_id} {self.looked_up_at:%Y-%m-%d %H:%M}"

    def owners(self) -> list[str]:
        return sorted({n.owner_key() for n in self.networks.all() if n.owner_key()})


class HostNetwork(models.Model):
    """One resolved address of a lookup, with the network it sits in (RDAP for IP
    networks) and the CDN whose published ranges hold it, each with its source."""

    lookup = models.ForeignKey(HostLookup, on_delete=models.CASCADE, related_name="networks")
    address = models.GenericIPAddressField()
    handle = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200, blank=True)
    cidr = models.CharField(max_length=200, blank=True)
    owner = models.CharField(max_length=300, blank=True)
    abuse_email = models.CharField(max_length=254, blank=True)
    abuse_phone = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=200, blank=True)
    cdn_name = models.CharField(max_length=100, blank=True)
    cdn_abuse_email = models.CharField(max_length=254, blank=True)
    cdn_abuse_url = models.CharField(max_length=500, blank=True)
    cdn_source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["address"]

    def __str__(self):
        return f"{self.address} {self.owner}"

    def owner_key(self) -> str:
        return (self.owner or self.name or self.handle).strip().lower()
