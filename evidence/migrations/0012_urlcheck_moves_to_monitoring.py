"""UrlCheck (with its Outcome choices) leaves evidence's state for monitoring's
(monitoring/0001): state only. Its table, evidence_urlcheck, keeps its name, rows and index;
the model sets it as db_table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0011_sighting_platform_in_platforms"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="UrlCheck")],
            database_operations=[],
        ),
    ]
