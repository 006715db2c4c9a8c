"""A person's word on a link (status_source), what the crawler last saw (last_check_outcome)
and her soft removal of a link (withdrawn_*). Links that are up as far as we know (live,
unreachable, unknown) are now due like live ones, so both partial indexes on the action due
time take the new condition: Django's, and the caseload's (cases/0008, whose shape must
match casework.selectors._with_caseload_columns)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_takedown_edited_and_crop_searched_events"),
        ("evidence", "0012_urlcheck_moves_to_monitoring"),
        ("platforms", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            "DROP INDEX caseload_sighting_live_action_due",
            "CREATE INDEX caseload_sighting_live_action_due ON evidence_sighting "
            "(case_id, action_due_at) WHERE status = 'live' AND action_due_at IS NOT NULL",
        ),
        migrations.RemoveIndex(
            model_name="sighting",
            name="sighting_action_due",
        ),
        migrations.AddField(
            model_name="sighting",
            name="last_check_outcome",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="sighting",
            name="status_source",
            field=models.CharField(
                choices=[
                    ("check", "Our automatic check"),
                    ("staff", "A caseworker"),
                    ("survivor", "The survivor"),
                ],
                default="check",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="sighting",
            name="withdrawn_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sighting",
            name="withdrawn_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="sighting",
            index=models.Index(
                condition=models.Q(
                    ("action_due_at__isnull", False),
                    ("status__in", ["live", "unreachable", "unknown"]),
                ),
                fields=["action_due_at"],
                name="sighting_action_due",
            ),
        ),
        migrations.RunSQL(
            "CREATE INDEX caseload_sighting_up_action_due ON evidence_sighting "
            "(case_id, action_due_at) WHERE status IN ('live', 'unreachable', 'unknown') "
            "AND withdrawn_at IS NULL AND action_due_at IS NOT NULL",
            "DROP INDEX caseload_sighting_up_action_due",
        ),
    ]
