"""The platform figures' summary worked out again from every request, day by day: after a
restore, or to check it (`--check` compares the rebuilt figures with the ones worked out
from the requests directly and fails on a difference in the counts)."""

from django.core.management.base import BaseCommand, CommandError

from takedowns.selectors import (
    platform_figures,
    platform_figures_from_requests,
    rung_figures,
    rung_figures_from_requests,
)
from takedowns.services import platform_figures_rebuild


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="compare with the figures from the requests"
        )

    def handle(self, *args, check=False, **options):
        days = platform_figures_rebuild()
        self.stdout.write(f"Summary worked out again for {days} days.")
        if check:
            summary = [(f.platform, f.sent, f.removed, f.rejected) for f in platform_figures()]
            live = [
                (f.platform, f.sent, f.removed, f.rejected)
                for f in platform_figures_from_requests()
            ]
            if summary != live:
                raise CommandError(f"The summary differs: {summary} != {live}")
            self.stdout.write(f"Counts equal the requests' for {len(live)} platforms.")
            rungs = [(f.rung, f.sent, f.removed) for f in rung_figures()]
            live_rungs = [(f.rung, f.sent, f.removed) for f in rung_figures_from_requests()]
            if rungs != live_rungs:
                raise CommandError(f"The rung summary differs: {rungs} != {live_rungs}")
            self.stdout.write(f"Removals by rung equal the requests' for {len(rungs)} rungs.")
