"""The directory's move from takedowns to platforms (platforms/0001, evidence/0011,
takedowns/0011) on a database that has rows: state only, so the rows, tables and foreign
keys stay, and the content types go along."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from evidence.services import sighting_log
from platforms.models import Platform
from takedowns.models import TakedownRequest
from takedowns.services import takedowns_draft
from tests.conftest import migrate_to

BEFORE_THE_MOVE = [("platforms", None)]


def _content_type_apps() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app_label FROM django_content_type WHERE model IN "
            "('platform', 'platformdomain') ORDER BY model"
        )
        return [app for (app,) in cursor.fetchall()]


def _tables() -> set[str]:
    """The directory's tables (not takedowns' own figures summary, whose names say
    platform too)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name LIKE '%%platform%%' "
            "AND table_name NOT LIKE '%%platformfigure%%'"
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_the_move_keeps_rows_tables_and_links_both_ways(case, survivor, platform_directory):
    sighting = sighting_log(case=case, url="https://x.com/a/status/1", acting_user=survivor)
    [draft] = takedowns_draft(case=case, sightings=[sighting], acting_user=survivor)
    platforms = Platform.objects.count()
    assert _content_type_apps() == ["platforms", "platforms"]
    try:
        migrate_to(BEFORE_THE_MOVE)
        # As a database migrated before the move has it: takedowns' tables, rows, types.
        assert _content_type_apps() == ["takedowns", "takedowns"]
        assert _tables() == {"takedowns_platform", "takedowns_platformdomain"}

        migrate_to()

        ContentType.objects.clear_cache()
        assert _content_type_apps() == ["platforms", "platforms"]
        assert _tables() == {"takedowns_platform", "takedowns_platformdomain"}
        assert Platform.objects.count() == platforms
        x = Platform.objects.get(slug="x-twitter")
        assert TakedownRequest.objects.get(pk=draft.pk).platform == x
        assert x.sightings.get() == sighting
        assert ContentType.objects.get_for_model(Platform).app_label == "platforms"
    finally:
        migrate_to()
        ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_big_platforms_get_a_higher_pace_and_a_pace_staff_set_stays(platform_directory):
    """platforms/0003: the big platforms 300 checks a minute, mid-sized ones 60, the rest
    the default; a pace staff changed already is theirs."""
    from django.db.migrations.executor import MigrationExecutor

    from platforms.models import DEFAULT_CHECKS_PER_MINUTE

    before = [("platforms", "0002_checks_per_minute")]
    try:
        migrate_to(before)
        # The model as it was then: today's has columns (Platform.language) that table lacks.
        old = MigrationExecutor(connection).loader.project_state(before).apps
        OldPlatform = old.get_model("platforms", "Platform")
        OldPlatform.objects.update(checks_per_minute=DEFAULT_CHECKS_PER_MINUTE)
        OldPlatform.objects.filter(slug="reddit").update(checks_per_minute=45)
        OldPlatform.objects.create(name="Small forum", slug="small-forum")
    finally:
        migrate_to()
    pace = dict(Platform.objects.values_list("slug", "checks_per_minute"))
    assert (pace["x-twitter"], pace["pornhub"], pace["imgur"]) == (300, 300, 300)
    assert (pace["motherless"], pace["erome"]) == (60, 60)
    assert pace["reddit"] == 45  # staff's
    assert pace["small-forum"] == DEFAULT_CHECKS_PER_MINUTE
