# The daily overdue counts (StaffDigest rows) become emails in the outbox, one per person a
# day as before (the day is the email's slot). A sent one stays sent; a failed one keeps its
# error and its message, so staff can send it again from the outbox page; one left
# "pending" was claimed by a sender that stopped, so it may have gone: interrupted.

import datetime as dt

from django.conf import settings
from django.db import migrations

INTERRUPTED = (
    "The sender stopped while handing this email to the mail server. "
    "It may have been delivered, so it was not sent again."
)
STATUS = {"sent": "sent", "failed": "failed"}  # anything else: "unconfirmed"
STATUS_BACK = {"sent": "sent", "failed": "failed"}  # anything else: "pending"


def _message(count: int, to: str):
    # The message the daily count has today (takedowns.services.overdue_digests_send).
    from leakcase.emails import make_message

    link = settings.SITE_URL.rstrip("/") + "/caseload/?tab=overdue"
    return make_message("overdue-digest", {"count": count, "link": link}, to=to)


def forwards(apps, schema_editor):
    StaffDigest = apps.get_model("takedowns", "StaffDigest")
    OutgoingEmail = apps.get_model("outbox", "OutgoingEmail")
    for digest in StaffDigest.objects.select_related("user").order_by("pk"):
        status = STATUS.get(digest.status, "unconfirmed")
        fields = {}
        if status == "failed":
            message = _message(digest.overdue_count, digest.user.email)
            fields = {
                "subject": message.subject,
                "body_text": message.body,
                "body_html": message.alternatives[0][0],
                "from_email": message.from_email,
            }
        email = OutgoingEmail.objects.create(
            user_id=digest.user_id,
            to_address=digest.user.email,
            kind="overdue_count",
            scheduled_for=dt.datetime.combine(digest.day, dt.time(0), tzinfo=dt.UTC),
            counts={"overdue": digest.overdue_count},
            status=status,
            attempts=1,
            last_error=digest.error if status == "failed" else (
                INTERRUPTED if status == "unconfirmed" else ""
            ),
            sent_at=digest.created_at if status == "sent" else None,
            **fields,
        )
        # auto_now_add set it to now; the day's email was written when the digest was.
        OutgoingEmail.objects.filter(pk=email.pk).update(created_at=digest.created_at)
    StaffDigest.objects.all().delete()


def backwards(apps, schema_editor):
    StaffDigest = apps.get_model("takedowns", "StaffDigest")
    OutgoingEmail = apps.get_model("outbox", "OutgoingEmail")
    emails = OutgoingEmail.objects.filter(kind="overdue_count", user__isnull=False)
    for email in emails.order_by("created_at"):
        digest = StaffDigest.objects.create(
            user_id=email.user_id,
            day=email.scheduled_for.astimezone(dt.UTC).date(),
            overdue_count=email.counts.get("overdue", 0),
            status=STATUS_BACK.get(email.status, "pending"),
            error=email.last_error if email.status == "failed" else "",
        )
        StaffDigest.objects.filter(pk=digest.pk).update(created_at=email.created_at)
    emails.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("outbox", "0002_every_email_in_the_outbox"),
        ("takedowns", "0012_correspondence_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
