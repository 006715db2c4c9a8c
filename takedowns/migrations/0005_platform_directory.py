"""The platform directory: 30+ platforms with sourced contact channels.

Reads takedowns/platform_directory.py (a data-only module). Upserts by slug, so running it
over the first seed (0002) keeps existing rows and their sightings' links.
"""

from django.db import migrations


def sync(apps, schema_editor):
    from takedowns.platform_directory import PLATFORMS

    Platform = apps.get_model("takedowns", "Platform")
    PlatformDomain = apps.get_model("takedowns", "PlatformDomain")
    for entry in PLATFORMS:
        fields = {k: v for k, v in entry.items() if k not in ("slug", "domains")}
        platform, _ = Platform.objects.update_or_create(slug=entry["slug"], defaults=fields)
        for domain in entry["domains"]:
            PlatformDomain.objects.update_or_create(domain=domain, defaults={"platform": platform})


class Migration(migrations.Migration):
    dependencies = [("takedowns", "0004_directory_notices_correspondence")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
