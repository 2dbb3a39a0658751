-- Imports that resume, and merge in parallel batches.
--
-- An import commits in steps: the staged, clustered file (one
-- transaction), then the merge a batch of lines at a time (one transaction
-- each, several at once). These say how far it got, so that a retried job
-- resumes after the last committed step instead of starting over.

-- The file is in contact_import_rows, normalized, clustered and matched.
ALTER TABLE contact_imports ADD COLUMN staged boolean NOT NULL DEFAULT false;

-- The merge's batches: lines (from_line, to_line] of the file, done once
-- merged into contacts and counted (in the same transaction). A worker
-- claims an open batch with FOR UPDATE SKIP LOCKED.
CREATE TABLE contact_import_batches (
    import_id uuid NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    from_line integer NOT NULL,
    to_line   integer NOT NULL CHECK (to_line > from_line),
    done      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (import_id, from_line)
);

-- Rows sharing a channel value with another row of the file: the only ones
-- the clustering rounds and the consolidation look at (a few percent of a
-- typical file).
ALTER TABLE contact_import_rows ADD COLUMN dup boolean NOT NULL DEFAULT false;
CREATE INDEX contact_import_rows_dup_idx ON contact_import_rows (import_id, root) WHERE dup;
