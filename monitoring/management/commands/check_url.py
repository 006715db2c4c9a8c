"""What a worker sees: fetch one address through the guarded fetcher and classify it."""

import json

from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from monitoring import recheck


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--case", help="compare images with this case's reference hashes")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, url, case, json: bool, **options):
        references = []
        if case:
            found = Case.objects.filter(reference=case).first()
            if found is None:
                raise CommandError(f"No case {case}.")
            references = list(found.references.all())
        verdict = recheck.check(url, references)
        result = {
            "outcome": verdict.outcome,
            "http_status": verdict.http_status,
            "final_url": verdict.final_url,
            "content_type": verdict.content_type,
            "bytes": verdict.bytes_read,
            "elapsed_ms": verdict.elapsed_ms,
            "distance": verdict.distance,
            "error": verdict.error,
        }
        if json:
            self.stdout.write(_dumps(result))
            return
        for key, value in result.items():
            self.stdout.write(f"{key:<13} {'' if value is None else value}")


def _dumps(value) -> str:
    return json.dumps(value)
