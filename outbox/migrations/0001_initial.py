# The OutgoingEmail model moves here from digests, as it was (digests 0001). Its table stays
# (digests_outgoingemail, named in Meta.db_table): state only, no data moves.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("digests", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutgoingEmail",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("kind", models.CharField(choices=[("survivor_weekly", "Weekly status (survivor)"), ("staff_weekly", "Weekly status (staff)")], max_length=20)),
                        ("scheduled_for", models.DateTimeField()),
                        ("counts", models.JSONField(default=dict)),
                        ("status", models.CharField(choices=[("pending", "Waiting to be sent"), ("sending", "Being handed to the mail server"), ("sent", "Sent"), ("failed", "Failed"), ("unconfirmed", "Interrupted while sending")], default="pending", max_length=12)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("lease_until", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("message_id", models.CharField(blank=True, max_length=200)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="outgoing_emails", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "digests_outgoingemail",
                        "ordering": ["-created_at"],
                        "indexes": [models.Index(condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="outgoing_email_due"), models.Index(condition=models.Q(("status", "sending")), fields=["lease_until"], name="outgoing_email_sending"), models.Index(condition=models.Q(("status__in", ["failed", "unconfirmed"])), fields=["-created_at"], name="outgoing_email_problems")],
                        "constraints": [models.UniqueConstraint(fields=("user", "kind", "scheduled_for"), name="one_email_per_slot")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
