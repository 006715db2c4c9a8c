"""Re-wrap every received message's data key under the current master key (the first in
LEAKCASE_MASTER_KEYS), as rotate_evidence_keys does for evidence. Run both after adding a
master key; messages and attachments are not re-encrypted; safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from evidence.vault import crypto
from inbound import vault
from inbound.models import InboundMessage


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        current = crypto.current_key_id()
        changed = 0
        stale = InboundMessage.objects.exclude(key_id=current).only("pk", "key_id", "wrapped_key")
        for message in stale.iterator(chunk_size=500):
            with transaction.atomic():
                if vault.rewrap(message):
                    message.save(update_fields=["key_id", "wrapped_key"])
                    changed += 1
        self.stdout.write(f"{changed} received message(s) re-wrapped under {current}.")
