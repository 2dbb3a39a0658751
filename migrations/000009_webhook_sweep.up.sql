-- Nothing that was accepted is lost (DESIGN.md rule 5), and storage does
-- not leak:
--
-- * webhook_requests.sweeps counts how often the periodic sweep
--   (internal/webhooks Sweep) queued a call's processing again because its
--   job gave up (discarded, cancelled or removed) with events unprocessed.
--   Past the cap the sweep gives up too: those events get failed_at (and
--   processed_at) with error saying why, and the call's failed_events
--   counts them, for the webhook log. The count is kept per call, as the
--   processing job is: a sweep updates one row per call, not one per event
--   (a SendGrid call carries up to 1,000).
-- * inbound_media_pending records an inbound medium's storage key before
--   the file is written; the transaction that stores its message deletes
--   the row. A row that outlives its grace period names a file orphaned by
--   a crash, which internal/conversations MediaCleanupWorker removes.
--
-- Adding columns with constant defaults rewrites nothing (PostgreSQL 11+).
-- The sweep reads unprocessed events through webhook_events_unprocessed_idx
-- and needs no new index (EXPLAIN in internal/webhooks/sweep.go).
ALTER TABLE webhook_events
    ADD COLUMN failed_at timestamptz;

ALTER TABLE webhook_requests
    ADD COLUMN sweeps        smallint NOT NULL DEFAULT 0,
    ADD COLUMN failed_events integer NOT NULL DEFAULT 0;

CREATE TABLE inbound_media_pending (
    storage_key         text PRIMARY KEY,
    -- No foreign key to orgs: when an org goes, its pending rows must
    -- stay, so that the files they name are still removed.
    org_id              uuid NOT NULL,
    -- The message the file is for: the cleanup checks that no stored
    -- message refers to the file before removing it.
    channel             text NOT NULL,
    provider_message_id text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbound_media_pending_created_idx ON inbound_media_pending (created_at);
