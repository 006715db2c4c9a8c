"""Seal evidence stored before encryption at rest existed (development databases)."""

from django.db import migrations


def seal_existing(apps, schema_editor):
    from evidence import vault

    EvidenceFile = apps.get_model("evidence", "EvidenceFile")
    for evidence in EvidenceFile.objects.filter(key_id=""):
        old = {}
        for rendition in vault.RENDITIONS:
            stored = getattr(evidence, rendition)
            if not stored.name or not stored.storage.exists(stored.name):
                continue
            with stored.storage.open(stored.name, "rb") as handle:
                old[rendition] = (stored.name, handle.read())
        vault.store(
            evidence,
            {r: (name.rsplit("/", 1)[-1], data) for r, (name, data) in old.items()},
        )
        evidence.save()
        for name, _ in old.values():
            evidence.file.storage.delete(name)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0004_evidence_encryption_custody")]
    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
