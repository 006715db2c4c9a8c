"""Replace monitoring/data/rdap_bootstrap.json with IANA's current RDAP bootstrap files
(dns, ipv4, ipv6), downloaded through the guarded fetcher. Commit the result."""

from django.core.management.base import BaseCommand, CommandError

from monitoring.host_data import DataError, rdap_bootstrap_refresh


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        try:
            counts = rdap_bootstrap_refresh()
        except DataError as error:
            raise CommandError(f"Nothing was changed: {error}") from error
        self.stdout.write(", ".join(f"{kind}: {n} services" for kind, n in counts.items()))
