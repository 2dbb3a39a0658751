DROP TABLE IF EXISTS contact_import_rejects, contact_import_rows, contact_import_chunks, contact_imports,
    consent_events;
DROP VIEW IF EXISTS contact_channels;
DROP TABLE IF EXISTS suppressions;
DROP FUNCTION IF EXISTS contacts_matching(uuid, text, text, uuid, text, text);
DROP TABLE IF EXISTS contact_group_members, contact_groups, contacts;
-- pg_trgm stays: other schema may use it, and it holds no data.
