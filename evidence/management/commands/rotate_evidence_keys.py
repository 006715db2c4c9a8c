"""Re-wrap every evidence data key under the current master key (the first in
LEAKCASE_MASTER_KEYS). Files are not re-encrypted; safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from evidence import vault
from evidence.models import EvidenceFile
from evidence.vault import crypto


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        current = crypto.current_key_id()
        changed = 0
        stale = EvidenceFile.objects.exclude(key_id=current).only("pk", "key_id", "wrapped_key")
        for evidence in stale.iterator(chunk_size=500):
            with transaction.atomic():
                if vault.rewrap(evidence):
                    evidence.save(update_fields=["key_id", "wrapped_key"])
                    changed += 1
        self.stdout.write(f"{changed} evidence file(s) re-wrapped under {current}.")
