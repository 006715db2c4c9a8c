import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import user_on_record
from cases.models import Case
from leakcase.choices import QuickChoiceLabels


class SightingStatus(models.TextChoices):
    LIVE = "live", pgettext_lazy("link status", "Live")
    REMOVED = "removed", pgettext_lazy("link status", "Removed")
    UNREACHABLE = "unreachable", pgettext_lazy("link status", "Unreachable")
    UNKNOWN = "unknown", pgettext_lazy("link status", "Unknown")


# The one definition of "up, as far as we know" (DESIGN.md, "The life of a case", 5): the
# crawler never takes a link out of the workflow. A site that blocks robots, times out, sits
# behind a login or is blocked in our region leaves the link "unreachable" or "unknown", and
# it counts as up for drafting, due times and every count until a person or a verified check
# (removed, soft-removed) says otherwise. Every read that asks "is it still up?" uses
# Sighting.objects.still_up() or still_up_q(), never status == LIVE.
STILL_UP_STATUSES = (SightingStatus.LIVE, SightingStatus.UNREACHABLE, SightingStatus.UNKNOWN)


class StatusSource(models.TextChoices):
    """Whose word the link's status is. A person's word stands against checks that merely
    fail to reach the site (monitoring.services); only a conclusive check replaces it."""

    CHECK = "check", gettext_lazy("Our automatic check")
    STAFF = "staff", gettext_lazy("A caseworker")
    SURVIVOR = "survivor", gettext_lazy("The survivor")


def still_up_q(prefix: str = "") -> models.Q:
    """The still-up filter for a Count or an Exists across a relation, e.g.
    still_up_q("sightings__")."""
    return models.Q(
        **{f"{prefix}status__in": STILL_UP_STATUSES, f"{prefix}withdrawn_at__isnull": True}
    )


class SightingQuerySet(models.QuerySet):
    def in_workflow(self):
        """Every link but those she removed from her list (kept, with their evidence)."""
        return self.filter(withdrawn_at__isnull=True)

    def still_up(self):
        """Up, or up as far as we know: what a takedown may cover, what is due and counted."""
        return self.filter(still_up_q())


class Sighting(QuickChoiceLabels, models.Model):
    """One address where the content was seen. Normalised, so a link is logged once a case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sightings")
    url = models.CharField(max_length=2048)
    host = models.CharField(max_length=253)
    platform = models.ForeignKey(
        "platforms.Platform",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sightings",
    )
    note = models.TextField(blank=True, max_length=2000)
    first_seen_on = models.DateField(null=True, blank=True, help_text="In the survivor's words.")
    # A survivor reports a link because she saw it up; workers confirm or correct that.
    status = models.CharField(
        max_length=16, choices=SightingStatus.choices, default=SightingStatus.LIVE
    )
    # When a takedown should have gone out for this live link (our service target, set from the
    # case's priority); cleared once a takedown covers it. Past it, the case is overdue.
    action_due_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    removed_verified_at = models.DateTimeField(null=True, blank=True)
    status_source = models.CharField(
        max_length=8, choices=StatusSource.choices, default=StatusSource.CHECK
    )
    # What the last recheck saw (monitoring.models.Outcome), kept apart from the status: a
    # person's word can stand while the crawler keeps failing to reach the site.
    last_check_outcome = models.CharField(max_length=16, blank=True)
    # She removed it from her list: kept with its evidence and any request that named it,
    # hidden from her lists, never drafted or rechecked again. Staff see it marked.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = user_on_record()
    logged_by = user_on_record()
    # Not auto_now_add: the service sets it with the same instant as action_due_at.
    created_at = models.DateTimeField(default=timezone.now)

    objects = SightingQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "url"], name="sighting_url_unique_per_case"),
        ]
        indexes = [
            models.Index(fields=["case", "status"]),
            models.Index(
                fields=["action_due_at"],
                name="sighting_action_due",
                condition=models.Q(
                    status__in=["live", "unreachable", "unknown"], action_due_at__isnull=False
                ),
            ),
            models.Index(
                fields=["next_check_at"],
                name="sighting_due_check",
                condition=models.Q(next_check_at__isnull=False),
            ),
        ]

    def __str__(self):
        return self.url


class EvidenceKind(models.TextChoices):
    SCREENSHOT = "screenshot", pgettext_lazy("evidence kind", "Screenshot")
    FETCHED_COPY = "fetched_copy", pgettext_lazy("evidence kind", "Fetched copy")
    REFERENCE = "reference", pgettext_lazy("evidence kind", "Reference image (kept by choice)")


class EvidenceOrigin(models.TextChoices):
    UPLOAD = "upload", pgettext_lazy("how evidence came in", "Uploaded")
    FETCH = "fetch", pgettext_lazy("how evidence came in", "Fetched by LeakCase")


def _evidence_path(instance, filename):
    # No case reference or original name in the path: a listing of storage says nothing.
    return f"evidence/{instance.id}/{filename}"


class EvidenceFile(QuickChoiceLabels, models.Model):
    """Proof that something was online: stored without metadata, never at a public URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence_files")
    sighting = models.ForeignKey(
        Sighting, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence_files"
    )
    kind = models.CharField(
        max_length=16, choices=EvidenceKind.choices, default=EvidenceKind.SCREENSHOT
    )
    # The upload's own name, sealed under the file's data key (evidence.vault.original_name
    # opens it): a phone's "IMG_2024_with_Jake.jpg" must not sit in the database in plaintext.
    original_name_sealed = models.TextField(blank=True, default="")
    content_type = models.CharField(max_length=32)
    size = models.PositiveBigIntegerField(help_text="Bytes as uploaded.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the bytes as uploaded.")
    stored_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the stored copy.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    phash = models.CharField(max_length=16)
    dhash = models.CharField(max_length=16)
    # PDQ (64 hex digits) and its quality, 0-100 (evidence/matching/pdq.py); blank and None
    # on files stored before PDQ was computed for evidence.
    pdq = models.CharField(max_length=64, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=_evidence_path, max_length=200)
    thumbnail = models.FileField(upload_to=_evidence_path, max_length=200)
    preview = models.FileField(upload_to=_evidence_path, max_length=200)
    # The data key that seals the files, wrapped by master key `key_id` (evidence/vault/crypto.py).
    key_id = models.CharField(max_length=32, default="")
    wrapped_key = models.CharField(max_length=120, default="")
    # Chain of custody: how it came in, and from which address when it was fetched.
    origin = models.CharField(max_length=8, choices=EvidenceOrigin.choices, default="upload")
    source_url = models.CharField(max_length=2048, blank=True)
    captured_at = models.DateTimeField()
    uploaded_by = user_on_record()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["case", "-created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.id}"


class AccessAction(models.TextChoices):
    REVEAL = "reveal", pgettext_lazy("evidence access", "Revealed")
    DOWNLOAD = "download", pgettext_lazy("evidence access", "Downloaded")


class EvidenceAccess(QuickChoiceLabels, models.Model):
    """Who looked at which evidence file, and when. Written by the serving views only."""

    evidence = models.ForeignKey(EvidenceFile, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user_id} {self.action} {self.evidence_id}"


def to_signed64(value: int) -> int:
    """PostgreSQL has no unsigned 64-bit column: store hashes as signed, same bits."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


class ReferenceHash(models.Model):
    """Perceptual hashes of an image the survivor wants found. By default the image itself is
    never stored; `kept_copy` is set only when she chose to keep an encrypted copy.

    p0..p3 are the four 16-bit chunks of the pHash, indexed: a lookup asks for chunks near
    the query's and finds every hash within the threshold (multi-index hashing, see
    evidence/matching/hashing.py) without scanning the table. p0's index carries the whole
    pHash after it, so the rows the in-process index found are fetched by their pHash alone
    (evidence.matching._rows_with), however many rows share their first chunk."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="references")
    label = models.CharField(max_length=80, blank=True)
    phash = models.BigIntegerField()
    dhash = models.BigIntegerField()
    pdq = models.CharField(max_length=64, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)  # with pdq, 0-100
    # Of the file's bytes, as the hash-sharing programmes exchange them (issue 17): computed
    # on her device with the perceptual hashes, or by the server when she sent the picture.
    # A database default too: rows written by raw SQL or COPY (tests, bench/data.py) and
    # those from before issue 17 have none.
    md5 = models.CharField(max_length=32, blank=True, default="", db_default="")
    sha256 = models.CharField(max_length=64, blank=True, default="", db_default="")
    p0 = models.IntegerField()  # indexed with the pHash (Meta)
    p1 = models.IntegerField(db_index=True)
    p2 = models.IntegerField(db_index=True)
    p3 = models.IntegerField(db_index=True)
    kept_copy = models.OneToOneField(
        EvidenceFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="reference"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # p0 first: the SQL lookup asks for p0 alone (evidence.matching.matching_in_sql).
            # Fetching matched rows by p0 alone read every row sharing it (ten a million
            # references, a heap page each): a 10M lookup took 2.08 ms, now 1.40 (issue 21).
            models.Index(fields=["p0", "phash"], name="referencehash_p0_phash"),
        ]

    def __str__(self):
        return self.label or f"Reference {self.phash_hex}"

    @property
    def phash_hex(self) -> str:
        return f"{to_unsigned64(self.phash):016x}"

    @property
    def dhash_hex(self) -> str:
        return f"{to_unsigned64(self.dhash):016x}"


class EvidenceMatch(models.Model):
    """A "possible copy": an evidence image (or a region of it) near a reference's hashes.
    A person confirms it; confirmed matches group sightings as copies of one image."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evidence = models.ForeignKey(EvidenceFile, on_delete=models.CASCADE, related_name="matches")
    reference = models.ForeignKey(ReferenceHash, on_delete=models.CASCADE, related_name="matches")
    phash_distance = models.PositiveSmallIntegerField()
    dhash_distance = models.PositiveSmallIntegerField()
    region = models.JSONField(null=True, blank=True, help_text="[left, top, right, bottom]")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = user_on_record()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["phash_distance"]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "reference"], name="one_match_per_pair")
        ]

    def __str__(self):
        return f"{self.evidence_id} ~ {self.reference_id}"
