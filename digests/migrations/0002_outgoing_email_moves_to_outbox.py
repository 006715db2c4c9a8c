# OutgoingEmail now belongs to the outbox app (outbox 0001), in the same table: state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("digests", "0001_initial"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutgoingEmail")],
            database_operations=[],
        ),
    ]
