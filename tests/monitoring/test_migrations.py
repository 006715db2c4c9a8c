"""UrlCheck's move from evidence to monitoring (evidence/0012, monitoring/0001) on a database
that has check rows: state only, so the table, its rows and index stay, and the content
type goes along."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from evidence.services import sighting_log
from monitoring.models import UrlCheck
from tests.conftest import migrate_to


def _urlcheck_content_type() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_label FROM django_content_type WHERE model = 'urlcheck'")
        return [app for (app,) in cursor.fetchall()]


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'evidence_urlcheck'")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_the_move_keeps_rows_table_and_index_both_ways(case, survivor):
    sighting = sighting_log(case=case, url="https://leak.example/1", acting_user=survivor)
    check = UrlCheck.objects.create(sighting=sighting, checked_at=timezone.now(), outcome="live")
    indexes = _indexes()
    assert "evidence_ur_sightin_7b7c88_idx" in indexes
    assert _urlcheck_content_type() == ["monitoring"]
    try:
        migrate_to([("monitoring", None)])
        assert _urlcheck_content_type() == ["evidence"]

        migrate_to()

        ContentType.objects.clear_cache()
        assert _urlcheck_content_type() == ["monitoring"]
        assert _indexes() == indexes
        assert sighting.checks.get() == check
        assert ContentType.objects.get_for_model(UrlCheck).app_label == "monitoring"
    finally:
        migrate_to()
        ContentType.objects.clear_cache()
