from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import pgettext_lazy

from leakcase.choices import QuickChoiceLabels


class LegalBasis(models.TextChoices):
    """The legal routes a notice can take. Here, below takedowns, because the directory
    records which of them each platform answers to (Platform.legal_bases)."""

    TAKE_IT_DOWN = (
        "take_it_down",
        pgettext_lazy("legal route", "TAKE IT DOWN Act (47 U.S.C. 223a)"),
    )
    DMCA = "dmca", pgettext_lazy("legal route", "DMCA, 17 U.S.C. 512(c)(3)")
    DSA = "dsa", pgettext_lazy("legal route", "EU Digital Services Act, Art. 16")
    PLATFORM_POLICY = (
        "platform_policy",
        pgettext_lazy("legal route", "Platform policy / search delisting"),
    )


class PlatformKind(models.TextChoices):
    SOCIAL = "social", "Social network"
    ADULT = "adult", "Adult site"
    IMAGE_HOST = "image_host", "Image host"
    VIDEO = "video", "Video site"
    FORUM = "forum", "Forum"
    FILE_LOCKER = "file_locker", "File locker"
    MESSAGING = "messaging", "Messaging"
    SEARCH_ENGINE = "search_engine", "Search engine (delisting)"
    OTHER = "other", "Other"


# Rechecks a minute a site gets from us when the directory says nothing else: links on a
# site we do not know (no platform), and platforms nobody has set a pace for. Twenty a minute
# was the old dispatcher's limit per site and is gentle on a small forum's server.
DEFAULT_CHECKS_PER_MINUTE = 20


class Platform(QuickChoiceLabels, models.Model):
    """A site that hosts or indexes content, and where its takedown requests go. Contact
    channels are filled only from a source, which is kept in `source`."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=PlatformKind.choices, default="other")
    report_form_url = models.URLField(max_length=500, blank=True)
    abuse_email = models.EmailField(blank=True)
    # Which routes it answers to; a list of LegalBasis values (JSON so SQLite runs it too).
    legal_bases = models.JSONField(default=list, blank=True)
    expected_response_hours = models.PositiveIntegerField(default=48)
    # Politeness: at most this many of our rechecks a minute across all its domains
    # (monitoring.services.rechecks_dispatch). Big platforms serve billions of requests a day
    # and hold most of the links, so they are set higher (migration platforms/0002).
    checks_per_minute = models.PositiveIntegerField(
        "Link checks a minute",
        default=DEFAULT_CHECKS_PER_MINUTE,
        validators=[MinValueValidator(1)],  # 0 would stop checking its links altogether
        help_text="How many of our link checks a minute this site gets, at most.",
    )
    # The language its takedown notices and reminders are written in, whatever language
    # the person drafting them reads (takedowns/notices.py renders them under it).
    language = models.CharField(
        "Notice language",
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text="Takedown notices to this site are written in this language.",
    )
    source = models.TextField(blank=True, help_text="Where the contact channels come from.")
    notes = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table takedowns made for it: the model moved to this app, its rows did not.
        db_table = "takedowns_platform"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_search_engine(self) -> bool:
        return self.kind == PlatformKind.SEARCH_ENGINE

    @property
    def routes_in_words(self) -> list[str]:
        """The routes it answers to as people read them, never their codes."""
        known = set(LegalBasis.values)
        return [LegalBasis(value).label for value in self.legal_bases if value in known]


class PlatformDomain(models.Model):
    """A registrable domain (or exact host) that belongs to a platform: x.com, twitter.com."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        db_table = "takedowns_platformdomain"
        ordering = ["domain"]

    def __str__(self):
        return self.domain
