"""The audit trail: who did what, when, under which request. Append-only in the database.

Two tables. AuditEvent holds what the application reports (logins, lockouts, second-factor
changes, refused access, exports, erasures, staff looking at evidence). AuditChange is
written by row-level triggers (migration 0002) on the tables that matter, so an update that
bypasses the services, a bare `queryset.update()` included, still leaves a trace. Neither
holds a survivor's address, email, note, hash or token: AuditChange names the columns that
changed and shows values only for the harmless ones listed in the trigger.

Both are protected by pgtrigger.Protect: UPDATE and DELETE raise inside PostgreSQL, whatever
the caller (ORM, admin, raw SQL from the app's role). TRUNCATE is not a row operation and is
left to the database owner (the test runner empties tables with it).
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

from leakcase.choices import QuickChoiceLabels


class AuditKind(models.TextChoices):
    LOGIN = "login", "Logged in"
    LOGOUT = "logout", "Logged out"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOCKED_OUT = "locked_out", "Locked out"
    MFA_ADDED = "mfa_added", "Second factor added"
    MFA_REMOVED = "mfa_removed", "Second factor removed"
    MFA_RESET = "mfa_reset", "Recovery codes reset"
    MFA_FAILED = "mfa_failed", "Wrong second-factor code"
    ACCESS_DENIED = "access_denied", "Refused or missing"
    EXPORT = "export", "Export"
    ERASURE = "erasure", "Account erased"
    EVIDENCE_VIEWED = "evidence_viewed", "Staff viewed evidence"
    # A received email (inbound/) or one of its attachments, downloaded by staff.
    MAIL_DOWNLOADED = "mail_downloaded", "Staff downloaded received mail"
    WEEKLY_EMAIL_SET = "weekly_email_set", "Weekly email settings changed"
    # Any kind of email since the outbox holds them all; the stored value is kept.
    WEEKLY_EMAIL_RESENT = "weekly_email_resent", "Email sent again by staff"
    # The daily prune of link-check history (monitoring.services.url_checks_prune): counts.
    CHECKS_PRUNED = "checks_pruned", "Old link checks pruned"


class AppendOnly(models.Model):
    """What both audit tables are: rows that are only ever added (UPDATE and DELETE raise in
    PostgreSQL), read newest first."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]


class AuditEvent(QuickChoiceLabels, AppendOnly):
    kind = models.CharField(max_length=20, choices=AuditKind.choices)
    # No foreign-key constraint: erasing a user must not touch (or be blocked by) the rows
    # that say what she did. The id stays; the person behind it is gone.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_role = models.CharField(max_length=16, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # What it was about: a URL name, a case reference, an evidence id. Never a token.
    target = models.CharField(max_length=120, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.actor_id or '-'}"


class AuditChange(AppendOnly):
    """Written by the database only (audit_row_change() in migration 0002)."""

    table_name = models.CharField(max_length=63)
    row_id = models.CharField(max_length=64)
    changed_columns = models.JSONField(default=list)
    # {"column": [old, new]} for the columns the trigger may show; others are named only.
    shown_values = models.JSONField(default=dict)
    transaction_id = models.BigIntegerField(null=True)

    def __str__(self):
        return f"{self.table_name} {self.row_id}"
