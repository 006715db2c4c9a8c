"""A generation counter for reference hashes, kept by PostgreSQL itself, so the in-process
hash index (evidence/matching/hash_index.py) can tell on every lookup, with one tiny query, whether
rows were added (load only those) or removed (load everything again) since it last looked.

- evidence_referencehash_generation: one row: `epoch` (random, per database), `added`,
  `removed`. Not a Django model on purpose: a test flush (TRUNCATE of every model table)
  must not empty it.
- evidence_referencehash.generation: a column Django does not know about. Its default is
  currval() of the sequence, which a BEFORE INSERT statement trigger has just advanced, so
  every row inserted by one statement (INSERT, bulk_create, COPY) carries that statement's
  generation without a per-row trigger.
- The BEFORE INSERT trigger first locks the counter row, then takes nextval(): a writer
  holds that lock until it commits or rolls back, so generations are handed out in commit
  order, and once a reader sees `added` = g committed, every row with generation <= g is
  committed too (what makes loading "generation > last seen" exact). Values come from a
  sequence, never rolled back, so a number is never handed out twice.
- AFTER DELETE / TRUNCATE / UPDATE of phash or dhash (statement triggers, whatever code path
  or cascade did it) set `removed` to a new nextval(); the index then reloads.
"""

from django.db import migrations

FORWARD = """
CREATE SEQUENCE evidence_referencehash_generation_seq;
CREATE TABLE evidence_referencehash_generation (
    id smallint PRIMARY KEY CHECK (id = 1),
    epoch uuid NOT NULL DEFAULT gen_random_uuid(),
    added bigint NOT NULL DEFAULT 0,
    removed bigint NOT NULL DEFAULT 0
);
INSERT INTO evidence_referencehash_generation (id) VALUES (1);

ALTER TABLE evidence_referencehash ADD COLUMN generation bigint NOT NULL DEFAULT 0;
ALTER TABLE evidence_referencehash
    ALTER COLUMN generation SET DEFAULT currval('evidence_referencehash_generation_seq');
CREATE INDEX evidence_referencehash_generation_idx ON evidence_referencehash (generation);

CREATE FUNCTION evidence_referencehash_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM evidence_referencehash_generation WHERE id = 1 FOR UPDATE;
    UPDATE evidence_referencehash_generation
        SET added = nextval('evidence_referencehash_generation_seq') WHERE id = 1;
    RETURN NULL;
END $$;

CREATE FUNCTION evidence_referencehash_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM gone) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (
            SELECT 1 FROM gone JOIN came USING (id)
            WHERE gone.phash <> came.phash OR gone.dhash <> came.dhash
        ) THEN
            RETURN NULL;
        END IF;
    END IF;
    UPDATE evidence_referencehash_generation
        SET removed = nextval('evidence_referencehash_generation_seq') WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER evidence_referencehash_added
    BEFORE INSERT ON evidence_referencehash
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_referencehash_added();
CREATE TRIGGER evidence_referencehash_deleted
    AFTER DELETE ON evidence_referencehash REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_referencehash_removed();
CREATE TRIGGER evidence_referencehash_updated
    AFTER UPDATE ON evidence_referencehash REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_referencehash_removed();
CREATE TRIGGER evidence_referencehash_truncated
    AFTER TRUNCATE ON evidence_referencehash
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_referencehash_removed();
"""

BACKWARD = """
DROP TRIGGER evidence_referencehash_truncated ON evidence_referencehash;
DROP TRIGGER evidence_referencehash_updated ON evidence_referencehash;
DROP TRIGGER evidence_referencehash_deleted ON evidence_referencehash;
DROP TRIGGER evidence_referencehash_added ON evidence_referencehash;
DROP FUNCTION evidence_referencehash_removed();
DROP FUNCTION evidence_referencehash_added();
ALTER TABLE evidence_referencehash DROP COLUMN generation;
DROP TABLE evidence_referencehash_generation;
DROP SEQUENCE evidence_referencehash_generation_seq;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite: the index is not used
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0007_url_checks")]

    operations = [migrations.RunPython(forward, backward)]
