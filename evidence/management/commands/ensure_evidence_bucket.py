"""Create the evidence bucket when it is missing (S3-compatible storage, EVIDENCE_S3_BUCKET).

docker-compose's web runs it before it serves, and a restore runs it on a new object store
before `bin/restore`. An existing bucket and its files are left as they are, so it is safe
to run again. Evidence on local disk needs no bucket: it says so and changes nothing.

It goes through the S3 API with the app's own credentials, so it works the same against the
bundled object store and a hosted one; with a hosted bucket made beforehand, it only checks
that the app can reach it.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        if not settings.EVIDENCE_S3_BUCKET:
            self.stdout.write(
                "Evidence is stored on local disk (EVIDENCE_S3_BUCKET is unset): "
                "there is no bucket to create."
            )
            return
        # The s3 extra (`pip install .[s3]`), which settings already need for this bucket.
        from botocore.exceptions import BotoCoreError, ClientError

        storage = storages["default"]
        client = storage.connection.meta.client
        bucket = storage.bucket_name
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket"}:
                raise CommandError(f"The evidence bucket {bucket} cannot be used: {exc}") from exc
        except BotoCoreError as exc:
            raise CommandError(f"The object store cannot be reached: {exc}") from exc
        else:
            self.stdout.write(f"The evidence bucket {bucket} is there.")
            return

        region = client.meta.region_name
        # Outside us-east-1, S3 wants the region named again when a bucket is made.
        where = (
            {"CreateBucketConfiguration": {"LocationConstraint": region}}
            if region and region != "us-east-1"
            else {}
        )
        try:
            client.create_bucket(Bucket=bucket, **where)
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"The evidence bucket {bucket} could not be made: {exc}") from exc
        self.stdout.write(f"The evidence bucket {bucket} was created.")
