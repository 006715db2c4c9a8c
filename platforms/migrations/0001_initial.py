"""The platform directory moves here from takedowns: Platform and PlatformDomain, state only.

Their tables keep their names (takedowns_platform, takedowns_platformdomain, set as db_table
on the models), so no row moves and nothing is written to the schema: the tables were made
by takedowns' migrations 0001-0005, which a fresh database still runs first (see the
dependency), and takedowns/0011 drops the models from takedowns' state once sightings
(evidence/0011) and requests point here. The content types move too, so admin permissions
and admin history of platforms stay attached to them.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("platform", "platformdomain")


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        # A fresh database has no content types yet (they are made after migrating).
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_forward(apps, schema_editor):
    _relabel(apps, "takedowns", "platforms")


def content_types_back(apps, schema_editor):
    _relabel(apps, "platforms", "takedowns")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        # The tables and the seeded directory are made there.
        ("takedowns", "0010_recipient_approval_and_survivor_outcomes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Platform",
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
                        ("name", models.CharField(max_length=80, unique=True)),
                        ("slug", models.SlugField(max_length=80, unique=True)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("social", "Social network"),
                                    ("adult", "Adult site"),
                                    ("image_host", "Image host"),
                                    ("video", "Video site"),
                                    ("forum", "Forum"),
                                    ("file_locker", "File locker"),
                                    ("messaging", "Messaging"),
                                    ("search_engine", "Search engine (delisting)"),
                                    ("other", "Other"),
                                ],
                                default="other",
                                max_length=16,
                            ),
                        ),
                        ("report_form_url", models.URLField(blank=True, max_length=500)),
                        ("abuse_email", models.EmailField(blank=True, max_length=254)),
                        ("legal_bases", models.JSONField(blank=True, default=list)),
                        ("expected_response_hours", models.PositiveIntegerField(default=48)),
                        (
                            "source",
                            models.TextField(
                                blank=True, help_text="Where the contact channels come from."
                            ),
                        ),
                        ("notes", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={"db_table": "takedowns_platform", "ordering": ["name"]},
                ),
                migrations.CreateModel(
                    name="PlatformDomain",
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
                        ("domain", models.CharField(max_length=253, unique=True)),
                        (
                            "platform",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="domains",
                                to="platforms.platform",
                            ),
                        ),
                    ],
                    options={"db_table": "takedowns_platformdomain", "ordering": ["domain"]},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_forward, content_types_back),
    ]
