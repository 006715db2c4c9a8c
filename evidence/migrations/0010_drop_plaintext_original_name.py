"""Drop the plaintext original_name column, blanked by 0009. A migration of its own: on
PostgreSQL an ALTER TABLE in the same transaction as 0009's row updates can fail with
"pending trigger events" (foreign keys are checked at commit)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evidence", "0009_seal_evidence_original_names")]

    operations = [migrations.RemoveField(model_name="evidencefile", name="original_name")]
