"""A sighting's platform is platforms.Platform now (the model moved from takedowns, its table
did not): state only, the column and its foreign key stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0010_drop_plaintext_original_name"),
        ("platforms", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="sighting",
                    name="platform",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="sightings",
                        to="platforms.platform",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
