"""Directory of platforms where non-consensual intimate imagery (NCII) is commonly posted,
hosted or indexed, with the channels a survivor can use to ask for removal or delisting.

Contact channels (`report_form_url`, `abuse_email`) are filled only where a source was
found, and `source` names where (space-separated URLs); an empty field means nothing was
found, not that the platform has no channel. `domains` are registrable domains (or exact
hosts, which win over their registrable domain) belonging to the platform itself; names,
slugs and domains of the platforms seeded in migration takedowns/0002 are kept unchanged.
`expected_response_hours` is 48 unless a source says otherwise.

Researched 2026-11-25 from stored copies of public pages; channels change, so re-check a
channel before relying on it.

The entries live in platform_directory.json beside this module, as data (one object a
platform, grouped by `kind`: social networks, messaging, video sites, adult sites, image
hosts, forums, file lockers, then search engines, which only delist and do not host the
content). Written to the database by migration takedowns/0005 (the directory's tables were
made there, before this app had them), through `sync`.
"""

import json
from pathlib import Path

PLATFORMS = json.loads(
    Path(__file__).with_name("platform_directory.json").read_text(encoding="utf-8")
)


def sync(Platform, PlatformDomain) -> None:
    """Upsert the directory by slug (and each domain to its platform), so running it over
    the first seed or over rows staff edited keeps existing rows and their sightings' links.
    Takes the models, so a migration passes its historical ones and tests the current."""
    for entry in PLATFORMS:
        fields = {k: v for k, v in entry.items() if k not in ("slug", "domains")}
        platform, _ = Platform.objects.update_or_create(slug=entry["slug"], defaults=fields)
        for domain in entry["domains"]:
            PlatformDomain.objects.update_or_create(domain=domain, defaults={"platform": platform})
