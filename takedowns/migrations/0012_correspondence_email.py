# An emailed letter is sent as an email in the outbox: the letter points at it.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("outbox", "0002_every_email_in_the_outbox"),
        ("takedowns", "0011_platform_directory_moves_to_platforms"),
    ]

    operations = [
        migrations.AddField(
            model_name="correspondence",
            name="email",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="outbox.outgoingemail"),
        ),
    ]
