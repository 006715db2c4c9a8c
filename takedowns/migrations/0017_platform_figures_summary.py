# The platform figures' summary (issue 21): a row per UTC day, platform and legal basis,
# worked out again for the days the triggers mark stale.

import django.contrib.postgres.fields
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0013_hash_programmes'),
        ('evidence', '0015_referencehash_md5_sha256'),
        ('platforms', '0003_checks_per_minute_of_big_platforms'),
        ('takedowns', '0016_correspondence_undelivered'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PlatformFigureDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('legal_basis', models.CharField(choices=[('take_it_down', 'TAKE IT DOWN Act (47 U.S.C. 223a)'), ('dmca', 'DMCA, 17 U.S.C. 512(c)(3)'), ('dsa', 'EU Digital Services Act, Art. 16'), ('platform_policy', 'Platform policy / search delisting')], max_length=20)),
                ('sent', models.PositiveIntegerField()),
                ('removed', models.PositiveIntegerField()),
                ('rejected', models.PositiveIntegerField()),
                ('removed_within_48h', models.PositiveIntegerField()),
                ('removal_counts', django.contrib.postgres.fields.ArrayField(base_field=models.PositiveIntegerField(), size=None)),
                ('removal_hours', django.contrib.postgres.fields.ArrayField(base_field=models.FloatField(), size=None)),
                ('worked_out_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='PlatformFigureStale',
            fields=[
                ('day', models.DateField(primary_key=True, serialize=False)),
            ],
        ),
        migrations.AddIndex(
            model_name='anonymousoutcome',
            index=models.Index(fields=['sent_at'], name='anonymous_outcome_sent_at'),
        ),
        migrations.AddIndex(
            model_name='takedownrequest',
            index=models.Index(fields=['sent_at'], name='takedown_sent_at'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='anonymousoutcome',
            trigger=pgtrigger.compiler.Trigger(name='figures_stale_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n    INSERT INTO takedowns_platformfigurestale (day)\n    SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM (SELECT sent_at FROM new_rows) touched\n    WHERE sent_at IS NOT NULL\n    ON CONFLICT DO NOTHING;\n    RETURN NULL;\n", hash='67541a32906cccb00cdc5a6d56e564a51bf58f2b', level='STATEMENT', operation='INSERT', pgid='pgtrigger_figures_stale_insert_44c7d', referencing='REFERENCING NEW TABLE AS new_rows ', table='takedowns_anonymousoutcome', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='anonymousoutcome',
            trigger=pgtrigger.compiler.Trigger(name='figures_stale_update', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n    INSERT INTO takedowns_platformfigurestale (day)\n    SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM (SELECT sent_at FROM old_rows UNION SELECT sent_at FROM new_rows) touched\n    WHERE sent_at IS NOT NULL\n    ON CONFLICT DO NOTHING;\n    RETURN NULL;\n", hash='d801f7de7e19361df1d3deac9324d592c3e76175', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_figures_stale_update_123fe', referencing='REFERENCING OLD TABLE AS old_rows  NEW TABLE AS new_rows ', table='takedowns_anonymousoutcome', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='anonymousoutcome',
            trigger=pgtrigger.compiler.Trigger(name='figures_stale_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n    INSERT INTO takedowns_platformfigurestale (day)\n    SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM (SELECT sent_at FROM old_rows) touched\n    WHERE sent_at IS NOT NULL\n    ON CONFLICT DO NOTHING;\n    RETURN NULL;\n", hash='5530d80fbe2822228c966b6d8b0de0a889e40992', level='STATEMENT', operation='DELETE', pgid='pgtrigger_figures_stale_delete_4be0d', referencing='REFERENCING OLD TABLE AS old_rows ', table='takedowns_anonymousoutcome', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='takedownrequest',
            trigger=pgtrigger.compiler.Trigger(name='figures_stale_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n    INSERT INTO takedowns_platformfigurestale (day)\n    SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM (SELECT sent_at FROM new_rows) touched\n    WHERE sent_at IS NOT NULL\n    ON CONFLICT DO NOTHING;\n    RETURN NULL;\n", hash='22042790c51c839e26d433d0a920102228440e1e', level='STATEMENT', operation='INSERT', pgid='pgtrigger_figures_stale_insert_be4a4', referencing='REFERENCING NEW TABLE AS new_rows ', table='takedowns_takedownrequest', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='takedownrequest',
            trigger=pgtrigger.compiler.Trigger(name='figures_stale_update', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n    INSERT INTO takedowns_platformfigurestale (day)\n    SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM (SELECT sent_at FROM old_rows UNION SELECT sent_at FROM new_rows) touched\n    WHERE sent_at IS NOT NULL\n    ON CONFLICT DO NOTHING;\n    RETURN NULL;\n", hash='c989ac4f82eb4a089e28a6ab9cd110879065e6f7', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_figures_stale_update_7014d', referencing='REFERENCING OLD TABLE AS old_rows  NEW TABLE AS new_rows ', table='takedowns_takedownrequest', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='takedownrequest',
            trigger=pgtrigger.compiler.Trigger(name='figures_stale_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n    INSERT INTO takedowns_platformfigurestale (day)\n    SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM (SELECT sent_at FROM old_rows) touched\n    WHERE sent_at IS NOT NULL\n    ON CONFLICT DO NOTHING;\n    RETURN NULL;\n", hash='4fc6b397582066e37e6ce2b1384c87c04a72a3a0', level='STATEMENT', operation='DELETE', pgid='pgtrigger_figures_stale_delete_2efca', referencing='REFERENCING OLD TABLE AS old_rows ', table='takedowns_takedownrequest', when='AFTER')),
        ),
        migrations.AddField(
            model_name='platformfigureday',
            name='platform',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='platforms.platform'),
        ),
        migrations.AddIndex(
            model_name='platformfigureday',
            index=models.Index(fields=['day'], name='takedowns_p_day_b8398d_idx'),
        ),
        # Every day already sent on is stale: the first refresh (the figures page, or the
        # beat within a minute) works the summary out for all of them.
        migrations.RunSQL(
            """
            INSERT INTO takedowns_platformfigurestale (day)
            SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM takedowns_takedownrequest
            WHERE sent_at IS NOT NULL
            UNION
            SELECT DISTINCT (sent_at AT TIME ZONE 'UTC')::date FROM takedowns_anonymousoutcome
            """,
            migrations.RunSQL.noop,
        ),
        # The two arrays (about 0.5 kB a row) stay in the row, uncompressed: the figures
        # read every bucket of every row, and a compressed or TOASTed array would be
        # unpacked once for each.
        migrations.RunSQL(
            "ALTER TABLE takedowns_platformfigureday"
            " ALTER removal_counts SET STORAGE PLAIN,"
            " ALTER removal_hours SET STORAGE PLAIN",
            migrations.RunSQL.noop,
        ),
    ]
