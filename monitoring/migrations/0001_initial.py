"""UrlCheck moves here from evidence, state only (after evidence/0012 dropped it from
evidence's state, so two models never claim the sighting's `checks` at once).

Its table keeps its name (evidence_urlcheck, set as db_table on the model), its rows and its
index, made by evidence/0007, which a fresh database still runs first. The content type
moves too, so admin permissions and history stay attached to it.
"""

import django.db.models.deletion
from django.db import migrations, models


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    # A fresh database has no content types yet (they are made after migrating).
    if not ContentType.objects.filter(app_label=new, model="urlcheck").exists():
        ContentType.objects.filter(app_label=old, model="urlcheck").update(app_label=new)


def content_types_forward(apps, schema_editor):
    _relabel(apps, "evidence", "monitoring")


def content_types_back(apps, schema_editor):
    _relabel(apps, "monitoring", "evidence")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("evidence", "0012_urlcheck_moves_to_monitoring"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="UrlCheck",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("checked_at", models.DateTimeField(db_index=True)),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("live", "Live"),
                                    ("removed", "Removed"),
                                    ("soft_removed", "Removed (placeholder page)"),
                                    ("login_walled", "Behind a login"),
                                    ("geo_blocked", "Blocked in our region"),
                                    ("unreachable", "Unreachable"),
                                    ("blocked", "Refused by our fetching rules"),
                                    ("reappeared", "Back after removal"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("http_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("final_url", models.CharField(blank=True, max_length=2048)),
                        ("content_type", models.CharField(blank=True, max_length=120)),
                        ("bytes_read", models.PositiveIntegerField(default=0)),
                        ("elapsed_ms", models.PositiveIntegerField(default=0)),
                        ("distance", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("error", models.CharField(blank=True, max_length=300)),
                        (
                            "sighting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="checks",
                                to="evidence.sighting",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "evidence_urlcheck",
                        "ordering": ["-checked_at"],
                        # The name evidence/0007 gave it, which Django derives from the
                        # table's name: the same under db_table.
                        "indexes": [
                            models.Index(
                                fields=["sighting", "-checked_at"],
                                name="evidence_ur_sightin_7b7c88_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_forward, content_types_back),
    ]
