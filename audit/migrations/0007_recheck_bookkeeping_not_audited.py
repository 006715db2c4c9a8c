"""A sighting's recheck bookkeeping is not an audited change.

Every recheck, and every lease the dispatcher takes on a sighting, moves its
last_checked_at, next_check_at and last_check_outcome; the row trigger (0002) wrote an
AuditChange row for each: two a check, the largest table of the database within weeks
(issue 21). What a check found is its UrlCheck row; a
change of the sighting's status, or of anything else on it, is still recorded, in the same
transaction, as before.
"""

from django.db import migrations

BOOKKEEPING = "ARRAY['last_checked_at', 'next_check_at', 'last_check_outcome']"
ARGS = "'case_id', 'status', 'platform_id', 'case_id'"

NOT_ONLY_BOOKKEEPING = f"""
DROP TRIGGER IF EXISTS audit_row_change ON evidence_sighting;
CREATE TRIGGER audit_row_change AFTER UPDATE ON evidence_sighting FOR EACH ROW
WHEN ((to_jsonb(OLD) - {BOOKKEEPING}) IS DISTINCT FROM (to_jsonb(NEW) - {BOOKKEEPING}))
EXECUTE FUNCTION audit_row_change({ARGS});
"""

EVERY_UPDATE = f"""
DROP TRIGGER IF EXISTS audit_row_change ON evidence_sighting;
CREATE TRIGGER audit_row_change AFTER UPDATE ON evidence_sighting FOR EACH ROW
EXECUTE FUNCTION audit_row_change({ARGS});
"""


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_alter_auditevent_kind"),
    ]

    operations = [migrations.RunSQL(NOT_ONLY_BOOKKEEPING, EVERY_UPDATE)]
