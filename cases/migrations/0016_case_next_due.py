# The case's next due time as a column (kept by triggers, takedowns 0016), and an index in
# exactly the caseload's default order (casework/selectors.py, DEFAULT_SORT and the
# priority rank of _with_caseload_columns): "All cases" reads its first page of 100,000
# cases straight from it, with no sort and no subquery for every case (issue 21).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_event_kinds_search_and_mail'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='next_due_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['next_due_at'], name='case_next_due'),
        ),
        migrations.RunSQL(
            "CREATE INDEX caseload_default_order ON cases_case ("
            "(CASE WHEN priority = 'urgent' THEN 0 WHEN priority = 'high' THEN 1 ELSE 2 END),"
            " next_due_at, last_activity_at DESC, id)",
            "DROP INDEX caseload_default_order",
        ),
    ]
