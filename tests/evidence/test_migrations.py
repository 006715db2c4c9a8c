"""Data migrations of evidence, run against PostgreSQL with rows in the tables."""

import pytest
from django.db import connection

from evidence import vault
from evidence.models import EvidenceFile
from evidence.services import evidence_add
from tests.conftest import migrate_to, tables_holding

PLAINTEXT_NAMES = [("evidence", "0008_reference_hash_generation")]


def _plaintext_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT original_name FROM evidence_evidencefile ORDER BY original_name")
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)  # an ALTER TABLE after inserts must see them committed
def test_plaintext_original_names_are_sealed_or_blanked(case, survivor, image_upload):
    jake = evidence_add(
        case=case, upload=image_upload(name="IMG_2024_with_Jake.jpg"), acting_user=survivor
    )
    retired = evidence_add(
        case=case, upload=image_upload(name="Rose_with_Jake_2.png", seed=3), acting_user=survivor
    )
    unnamed = evidence_add(
        case=case, upload=image_upload(name="x.jpg", seed=4), acting_user=survivor
    )
    EvidenceFile.objects.filter(pk=unnamed.pk).update(original_name_sealed="")
    try:
        # Back to the plaintext column, as databases made before the fix have it: the way
        # back opens the sealed names into it.
        migrate_to(PLAINTEXT_NAMES)
        assert _plaintext_names() == [
            "",
            "IMG_2024_with_Jake.jpg",
            "Rose_with_Jake_2.png",
        ]
        # A row whose master key has since been retired: its name cannot be sealed.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE evidence_evidencefile SET key_id = 'retired' WHERE id = %s", [retired.pk]
            )

        migrate_to()

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'evidence_evidencefile' AND column_name LIKE 'original%%'"
            )
            assert [name for (name,) in cursor.fetchall()] == ["original_name_sealed"]
        assert tables_holding("with_Jake") == []
        assert vault.original_name(EvidenceFile.objects.get(pk=jake.pk)) == (
            "IMG_2024_with_Jake.jpg"
        )
        assert EvidenceFile.objects.get(pk=retired.pk).original_name_sealed == ""
        assert vault.original_name(EvidenceFile.objects.get(pk=unnamed.pk)) == ""
    finally:
        migrate_to()
