from django.apps import AppConfig


class DigestsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "digests"
    verbose_name = "Weekly status emails"

    def ready(self):
        # Weekly status emails are built from their counts when the outbox sends them.
        from digests.messages import digest_message
        from outbox.messages import outgoing_builder_register
        from outbox.models import EmailKind

        outgoing_builder_register(
            EmailKind.SURVIVOR_WEEKLY, EmailKind.STAFF_WEEKLY, build=digest_message
        )
