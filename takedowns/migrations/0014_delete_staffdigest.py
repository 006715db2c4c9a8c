# The daily overdue counts are emails in the outbox now (0012 moved them).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("takedowns", "0013_overdue_counts_into_the_outbox"),
    ]

    operations = [
        migrations.DeleteModel(name="StaffDigest"),
    ]
