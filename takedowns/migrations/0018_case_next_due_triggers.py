# A case's next due time (cases.Case.next_due_at, issue 21), kept by the database: after
# any statement that inserts, updates or deletes requests or links, the cases they belong
# to (before and after) get it worked out again from their waiting requests' due_at and
# their still-up links' action_due_at, as casework.selectors.next_due_computed does. The
# audit trigger on cases skips an update that changes only this column (it is derived, not
# something anyone did).

from django.db import migrations

# Must say what takedowns.models.WAITING_STATUSES and evidence.models.still_up_q say.
NEXT_DUE = """
    UPDATE cases_case c SET next_due_at = due.at
    FROM (
        SELECT ids.case_id, LEAST(
            (SELECT min(t.due_at) FROM takedowns_takedownrequest t
              WHERE t.case_id = ids.case_id AND t.due_at IS NOT NULL
                AND t.status IN ('sent', 'acknowledged', 'escalated')),
            (SELECT min(s.action_due_at) FROM evidence_sighting s
              WHERE s.case_id = ids.case_id AND s.action_due_at IS NOT NULL
                AND s.status IN ('live', 'unreachable', 'unknown') AND s.withdrawn_at IS NULL)
        ) AS at
        FROM (SELECT DISTINCT case_id FROM ({touched}) touched) ids
    ) due
    WHERE c.id = due.case_id AND c.next_due_at IS DISTINCT FROM due.at;
"""

TOUCHED = {
    "insert": ("REFERENCING NEW TABLE AS new_rows", "SELECT case_id FROM new_rows"),
    "update": (
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT case_id FROM old_rows UNION SELECT case_id FROM new_rows",
    ),
    "delete": ("REFERENCING OLD TABLE AS old_rows", "SELECT case_id FROM old_rows"),
}
TABLES = ("takedowns_takedownrequest", "evidence_sighting")


def _create():
    statements = []
    for operation, (referencing, touched) in TOUCHED.items():
        function = f"case_next_due_after_{operation}"
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {NEXT_DUE.format(touched=touched)} RETURN NULL; END $$;"
        )
        for table in TABLES:
            statements.append(
                f"CREATE TRIGGER case_next_due_{operation} AFTER {operation.upper()} ON {table}"
                f" {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
            )
    return statements


def _drop():
    statements = []
    for operation in TOUCHED:
        for table in TABLES:
            statements.append(f"DROP TRIGGER IF EXISTS case_next_due_{operation} ON {table};")
        statements.append(f"DROP FUNCTION IF EXISTS case_next_due_after_{operation}();")
    return statements


# The audit trigger of 0002 on cases_case, with a condition: not when only next_due_at moved.
AUDIT_CASES = """
DROP TRIGGER IF EXISTS audit_row_change ON cases_case;
CREATE TRIGGER audit_row_change AFTER UPDATE ON cases_case FOR EACH ROW
WHEN ((to_jsonb(OLD) - 'next_due_at') IS DISTINCT FROM (to_jsonb(NEW) - 'next_due_at'))
EXECUTE FUNCTION audit_row_change({args});
"""
AUDIT_ARGS = (
    "'id', 'status', 'priority', 'assigned_to_id', 'survivor_id', 'jurisdiction', "
    "'involves_minor', 'threats_or_extortion', 'consent_to_contact_platforms'"
)
AUDIT_CASES_BEFORE = """
DROP TRIGGER IF EXISTS audit_row_change ON cases_case;
CREATE TRIGGER audit_row_change AFTER UPDATE ON cases_case FOR EACH ROW
EXECUTE FUNCTION audit_row_change({args});
"""

BACKFILL = NEXT_DUE.format(touched="SELECT id AS case_id FROM cases_case")


class Migration(migrations.Migration):
    dependencies = [
        ("takedowns", "0017_platform_figures_summary"),
        ("cases", "0016_case_next_due"),
        ("evidence", "0015_referencehash_md5_sha256"),
        ("audit", "0005_checks_pruned_kind"),
    ]

    operations = [
        migrations.RunSQL(AUDIT_CASES.format(args=AUDIT_ARGS), AUDIT_CASES_BEFORE.format(args=AUDIT_ARGS)),
        migrations.RunSQL(_create(), _drop()),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
