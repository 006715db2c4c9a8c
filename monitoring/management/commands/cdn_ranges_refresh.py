"""Read the CDNs' published address ranges again (Cloudflare, Fastly, Amazon CloudFront,
Google) into hosting/cdn_ranges.json with today's date, through the guarded fetcher. Akamai
publishes none and is left as it is. Commit the result."""

from django.core.management.base import BaseCommand, CommandError

from monitoring.host_data import DataError, cdn_ranges_refresh


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        try:
            counts = cdn_ranges_refresh()
        except DataError as error:
            raise CommandError(f"Nothing was changed: {error}") from error
        self.stdout.write(", ".join(f"{name}: {n} ranges" for name, n in counts.items()))
