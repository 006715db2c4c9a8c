"""The platform directory: 30+ platforms with sourced contact channels.

Reads platforms/platform_directory.py (a data module; it moved there from takedowns with
the Platform model, whose tables stayed). Upserts by slug, so running it over the first
seed (0002) keeps existing rows and their sightings' links.
"""

from django.db import migrations


def sync(apps, schema_editor):
    from platforms import platform_directory

    # At this point of the history the models are still takedowns': the same tables.
    platform_directory.sync(
        apps.get_model("takedowns", "Platform"), apps.get_model("takedowns", "PlatformDomain")
    )


class Migration(migrations.Migration):
    dependencies = [("takedowns", "0004_directory_notices_correspondence")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
