"""Row-level triggers: every UPDATE of the tables that matter writes an AuditChange row, in
the same transaction, however it was made (a service, the admin, a bare queryset.update(),
raw SQL). The row names every column that changed; values are copied only for the columns
given to the trigger, which are statuses, roles, flags and foreign keys, never an address,
email, note, hash, token or file name.

Rows are named by integer ids only: a case or a user by its own id, a sighting, evidence file
or takedown request by its case's id. Their UUIDs also name stored files and pages, and an
erased survivor's must not outlive her in rows that cannot be deleted."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := to_jsonb(NEW);
    changed text[];
    shown jsonb := '{}'::jsonb;
    identity text := TG_ARGV[0];
    col text;
BEGIN
    SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed
      FROM jsonb_each(new_row) AS n(key, value)
     WHERE old_row -> n.key IS DISTINCT FROM n.value;
    IF cardinality(changed) = 0 THEN
        RETURN NULL;
    END IF;
    FOREACH col IN ARRAY TG_ARGV[1:] LOOP
        IF col = ANY(changed) THEN
            shown := shown || jsonb_build_object(
                col, jsonb_build_array(old_row -> col, new_row -> col));
        END IF;
    END LOOP;
    INSERT INTO audit_auditchange
        (created_at, table_name, row_id, changed_columns, shown_values, transaction_id)
    VALUES
        (now(), TG_TABLE_NAME, identity || '=' || (new_row ->> identity), to_jsonb(changed), shown,
         txid_current());
    RETURN NULL;
END
$$;
"""

# table -> (identity column, columns whose values may be shown, WHEN condition or "")
TRACKED = {
    "cases_case": (
        "id",
        [
            "status",
            "priority",
            "assigned_to_id",
            "survivor_id",
            "jurisdiction",
            "involves_minor",
            "threats_or_extortion",
            "consent_to_contact_platforms",
        ],
        "",
    ),
    "evidence_sighting": ("case_id", ["status", "platform_id", "case_id"], ""),
    "evidence_evidencefile": ("case_id", ["case_id", "kind", "origin", "key_id"], ""),
    "takedowns_takedownrequest": (
        "case_id",
        ["status", "legal_basis", "channel", "platform_id", "case_id", "reminders_sent"],
        "",
    ),
    # Users: only what decides access. A login's last_login update is not an audit event.
    "accounts_user": (
        "id",
        ["role", "is_active", "is_staff", "is_superuser"],
        "OLD.role IS DISTINCT FROM NEW.role OR OLD.is_active IS DISTINCT FROM NEW.is_active"
        " OR OLD.is_staff IS DISTINCT FROM NEW.is_staff"
        " OR OLD.is_superuser IS DISTINCT FROM NEW.is_superuser",
    ),
}


def _create(table, identity, columns, when):
    args = ", ".join(f"'{c}'" for c in [identity, *columns])
    condition = f"WHEN ({when})" if when else ""
    return (
        f"CREATE TRIGGER audit_row_change AFTER UPDATE ON {table} FOR EACH ROW {condition} "
        f"EXECUTE FUNCTION audit_row_change({args});"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("accounts", "0001_initial"),
        ("cases", "0006_reminder_event"),
        ("evidence", "0007_url_checks"),
        ("takedowns", "0009_staff_digest"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS audit_row_change();"),
        *[
            migrations.RunSQL(
                _create(table, identity, columns, when),
                f"DROP TRIGGER IF EXISTS audit_row_change ON {table};",
            )
            for table, (identity, columns, when) in TRACKED.items()
        ],
    ]
