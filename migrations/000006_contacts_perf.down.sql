DROP INDEX IF EXISTS contact_import_rows_dup_idx;
ALTER TABLE contact_import_rows DROP COLUMN IF EXISTS dup;
DROP TABLE IF EXISTS contact_import_batches;
ALTER TABLE contact_imports DROP COLUMN IF EXISTS staged;
