"""Platform and PlatformDomain leave takedowns' state for platforms' (platforms/0001): state
only. Their tables keep their names and rows; requests and anonymous outcomes point at
platforms.Platform through the same columns and foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("takedowns", "0010_recipient_approval_and_survivor_outcomes"),
        ("platforms", "0001_initial"),
        # Sightings point at platforms.Platform first, or the model would be dropped from
        # under them.
        ("evidence", "0011_sighting_platform_in_platforms"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="takedownrequest",
                    name="platform",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="takedowns",
                        to="platforms.platform",
                    ),
                ),
                migrations.AlterField(
                    model_name="anonymousoutcome",
                    name="platform",
                    field=models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="platforms.platform",
                    ),
                ),
                migrations.DeleteModel(name="PlatformDomain"),
                migrations.DeleteModel(name="Platform"),
            ],
            database_operations=[],
        ),
    ]
