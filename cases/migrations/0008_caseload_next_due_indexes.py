"""Indexes for the caseload's default order (priority, then next due): the priority rank
as an expression index, so PostgreSQL reads cases rank by rank (an incremental sort) and
works out "next due" only for the ranks the page reaches, not for every case; and the
earliest waiting takedown's due time and the earliest live sighting's action time of a
case, each one index probe. Found by the pages benchmark: the supervisor's "All cases"
tab computed next due for all 10,000 cases, 300 ms of subqueries, before paging.

The tables are evidence's and takedowns', but it is the caseload (cases/selectors.py,
_with_caseload_columns) that needs these exact shapes, so they live here, written in SQL:
the expression and conditions must match that selector's for PostgreSQL to use them
(tests/cases/test_selectors.py checks that the caseload's query does).
"""

from django.db import migrations

SIGHTING = "caseload_sighting_live_action_due"
TAKEDOWN = "caseload_takedown_waiting_due"
PRIORITY = "caseload_priority_rank"


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_drop_case_weekly_email"),
        ("evidence", "0007_url_checks"),
        ("takedowns", "0009_staff_digest"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {PRIORITY} ON cases_case "
            "((CASE WHEN priority = 'urgent' THEN 0 WHEN priority = 'high' THEN 1 ELSE 2 END))",
            f"DROP INDEX {PRIORITY}",
        ),
        migrations.RunSQL(
            f"CREATE INDEX {SIGHTING} ON evidence_sighting (case_id, action_due_at) "
            "WHERE status = 'live' AND action_due_at IS NOT NULL",
            f"DROP INDEX {SIGHTING}",
        ),
        migrations.RunSQL(
            f"CREATE INDEX {TAKEDOWN} ON takedowns_takedownrequest (case_id, due_at) "
            "WHERE status IN ('sent', 'acknowledged', 'escalated') AND due_at IS NOT NULL",
            f"DROP INDEX {TAKEDOWN}",
        ),
    ]
