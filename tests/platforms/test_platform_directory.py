"""The seeded platform directory: the entries in platforms/platform_directory.json, written by
`sync` (migration takedowns/0005 runs it), become exactly these rows and domains."""

import pytest

from platforms import platform_directory
from platforms.models import Platform, PlatformDomain


def _rows() -> dict[str, dict]:
    """Each platform in the database, spelled as a directory entry."""
    return {
        platform.slug: {
            **{field: getattr(platform, field) for field in _ENTRY_FIELDS},
            "slug": platform.slug,
            "domains": sorted(platform.domains.values_list("domain", flat=True)),
        }
        for platform in Platform.objects.prefetch_related("domains")
    }


def _directory() -> dict[str, dict]:
    return {
        entry["slug"]: {**entry, "domains": sorted(entry["domains"])}
        for entry in platform_directory.PLATFORMS
    }


# Every key an entry has, but the slug (the row's key) and the domains (rows of their own).
_ENTRY_FIELDS = sorted(
    {key for entry in platform_directory.PLATFORMS for key in entry} - {"slug", "domains"}
)


@pytest.mark.django_db
def test_the_migrated_database_holds_the_directory_row_for_row():
    assert len(platform_directory.PLATFORMS) == 34
    assert _rows() == _directory()


@pytest.mark.django_db
def test_an_entry_reads_as_researched():
    # One entry spelled out, so a directory that loads but reads differently fails here.
    x = Platform.objects.get(slug="x-twitter")
    assert x.name == "X (Twitter)"
    assert x.kind == "social"
    assert x.report_form_url == (
        "https://help.x.com/forms/safety-and-sensitive-content/take-it-down"
    )
    assert x.abuse_email == ""
    assert x.legal_bases == ["take_it_down", "dmca", "dsa", "platform_policy"]
    assert x.expected_response_hours == 48
    assert x.source == "https://help.x.com/en/rules-and-policies/us-tida"
    assert sorted(x.domains.values_list("domain", flat=True)) == [
        "t.co",
        "twimg.com",
        "twitter.com",
        "x.com",
    ]
    bing = Platform.objects.get(slug="bing")
    assert bing.source == (
        "https://github.com/NuGet/Home/blob/2e382382c4d7a61e2ecaf6d8fe980fd49451bd96/"
        "accepted/2021/NuGetOrgReportForm-SafetyChanges.md "
        "https://news.linkzpulse.com/?p=154425"
    )


@pytest.mark.django_db
def test_sync_over_the_seeded_directory_changes_nothing():
    before = _rows()
    ids = dict(Platform.objects.values_list("slug", "pk"))

    platform_directory.sync(Platform, PlatformDomain)

    assert _rows() == before
    assert dict(Platform.objects.values_list("slug", "pk")) == ids
