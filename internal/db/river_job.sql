-- The part of River's job table that our queries read, for sqlc only: River's
-- own migrations (rivermigrate, run by internal/dbmigrate) create the real
-- table, whose state is the enum river_job_state. Compared to text literals
-- in SQL, it behaves as the text declared here.
CREATE TABLE river_job (
    id    bigint PRIMARY KEY,
    state text NOT NULL
);
