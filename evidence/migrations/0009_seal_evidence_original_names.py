"""Seal the original file names that were kept in plaintext (evidence_evidencefile.
original_name): each is sealed under its own file's data key into original_name_sealed and
the plaintext column is blanked; migration 0010 drops it.

A name whose data key cannot be opened (its master key is no longer configured) is blanked
without being sealed: its files cannot be opened either, and the name was never shown.

Blanking before the drop matters on PostgreSQL: DROP COLUMN does not rewrite the table, so
values of a dropped column stay in the rows on disk until they are rewritten. Old row
versions are reclaimed by (auto)vacuum; `VACUUM FULL evidence_evidencefile` rewrites the
table at once for an operator who wants that now. Backups and WAL from before still hold them.
"""

from django.db import migrations, models

BATCH = 500


def seal_names(apps, schema_editor):
    from evidence import vault
    from evidence.vault import crypto

    EvidenceFile = apps.get_model("evidence", "EvidenceFile")
    named = EvidenceFile.objects.exclude(original_name="").order_by("pk")
    batch = []
    for evidence in named.only("pk", "key_id", "wrapped_key", "original_name").iterator(BATCH):
        try:
            vault.seal_original_name(evidence, evidence.original_name)
        except crypto.EvidenceKeyError:
            evidence.original_name_sealed = ""
        evidence.original_name = ""
        batch.append(evidence)
        if len(batch) == BATCH:
            EvidenceFile.objects.bulk_update(batch, ["original_name", "original_name_sealed"])
            batch = []
    EvidenceFile.objects.bulk_update(batch, ["original_name", "original_name_sealed"])


def unseal_names(apps, schema_editor):
    from evidence import vault
    from evidence.vault import crypto

    EvidenceFile = apps.get_model("evidence", "EvidenceFile")
    sealed = EvidenceFile.objects.exclude(original_name_sealed="").order_by("pk")
    batch = []
    for evidence in sealed.iterator(BATCH):
        try:
            evidence.original_name = vault.original_name(evidence)[-200:]
        except crypto.EvidenceKeyError:
            evidence.original_name = ""
        batch.append(evidence)
        if len(batch) == BATCH:
            EvidenceFile.objects.bulk_update(batch, ["original_name"])
            batch = []
    EvidenceFile.objects.bulk_update(batch, ["original_name"])


class Migration(migrations.Migration):
    dependencies = [("evidence", "0008_reference_hash_generation")]

    operations = [
        migrations.AddField(
            model_name="evidencefile",
            name="original_name_sealed",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(seal_names, unseal_names),
    ]
