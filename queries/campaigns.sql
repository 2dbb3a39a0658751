-- name: CreateCampaign :one
INSERT INTO campaigns (org_id, name, channels, template_ids, delivery, include_group_ids, exclude_group_ids,
                       scheduled_at, throttle_per_second, settle_seconds, created_by, updated_by, created_at, updated_at)
VALUES (@org_id, @name, @channels::text[], @template_ids::uuid[], @delivery, @include_group_ids::uuid[], @exclude_group_ids::uuid[],
        sqlc.narg(scheduled_at), sqlc.narg(throttle_per_second), @settle_seconds, sqlc.narg(created_by), sqlc.narg(created_by), @now, @now)
RETURNING *;

-- name: UpdateDraftCampaign :one
UPDATE campaigns SET
    name = @name, channels = @channels::text[], template_ids = @template_ids::uuid[], delivery = @delivery,
    include_group_ids = @include_group_ids::uuid[], exclude_group_ids = @exclude_group_ids::uuid[],
    scheduled_at = sqlc.narg(scheduled_at), throttle_per_second = sqlc.narg(throttle_per_second),
    settle_seconds = @settle_seconds, updated_by = sqlc.narg(updated_by), updated_at = @now
WHERE org_id = @org_id AND id = @id AND status = 'draft'
RETURNING *;

-- name: GetCampaign :one
SELECT * FROM campaigns WHERE org_id = @org_id AND id = @id;

-- name: LockCampaign :one
SELECT * FROM campaigns WHERE org_id = @org_id AND id = @id FOR UPDATE;

-- name: ListCampaigns :many
-- Newest first; the cursor is the last row's (created_at, id).
SELECT * FROM campaigns
WHERE org_id = @org_id
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(before_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(before_at)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @lim;

-- name: DeleteDraftCampaign :execrows
DELETE FROM campaigns WHERE org_id = @org_id AND id = @id AND status = 'draft';

-- name: CampaignGroupsExist :many
-- Which of the ids are groups of the org.
SELECT id FROM contact_groups WHERE org_id = @org_id AND id = ANY(@ids::uuid[]);

-- name: EstimateAudience :many
-- The estimate in one statement: a row per channel (grp 1: ord,
-- recipients and why the others were left out), a row per price key of
-- the chosen WhatsApp recipients (grp 2: those whose messages cost the
-- same, with one of their numbers for Go to find the country; see
-- campaign_price_key; the other channels have one price each), and a total
-- row (grp 3) with the contacts of the include groups after dedupe, those
-- excluded by group and those reachable on no selected channel. In
-- first_available mode a channel's reasons count the contacts that got as
-- far as it in the preference order (not those already reached on an
-- earlier channel).
--
-- The key is computed in a subquery kept apart (OFFSET 0): grouping by an
-- expression over the contacts' numbers, the planner would take every
-- number for a group and sort the whole audience; over a subquery's
-- column it assumes few groups and hashes them (there are a handful).
SELECT coalesce(a.channel, '')::text AS channel,
       coalesce(a.price_key, '')::text AS price_key,
       grouping(a.channel, a.price_key)::int AS grp,
       count(*) FILTER (WHERE a.chosen) AS recipients,
       count(*) FILTER (WHERE NOT a.excluded AND a.verdict = 'no_address' AND (@every::boolean OR a.first_ok IS NULL OR a.ord < a.first_ok)) AS no_address,
       count(*) FILTER (WHERE NOT a.excluded AND a.verdict = 'opted_out' AND (@every::boolean OR a.first_ok IS NULL OR a.ord < a.first_ok)) AS opted_out,
       count(*) FILTER (WHERE NOT a.excluded AND a.verdict = 'suppressed' AND (@every::boolean OR a.first_ok IS NULL OR a.ord < a.first_ok)) AS suppressed,
       count(*) FILTER (WHERE a.ord = 1) AS contacts,
       count(*) FILTER (WHERE a.ord = 1 AND a.excluded) AS excluded_by_group,
       count(*) FILTER (WHERE a.ord = 1 AND NOT a.excluded AND a.first_ok IS NULL) AS unreachable,
       coalesce(min(a.address) FILTER (WHERE a.chosen), '')::text AS sample_address
FROM (
    SELECT au.excluded, au.channel, au.ord, au.address, au.verdict, au.first_ok, au.chosen,
           CASE WHEN au.chosen AND au.channel = 'whatsapp' THEN campaign_price_key(au.channel, au.address) END AS price_key
    FROM campaign_audience(@org_id, @include_group_ids::uuid[], @exclude_group_ids::uuid[], @channels::text[], @every::boolean)
         AS au (contact_id, excluded, channel, ord, address, verdict, first_ok, chosen)
    OFFSET 0
) a
GROUP BY GROUPING SETS ((a.channel), (a.price_key), ());

-- name: MaterializeRecipients :execrows
-- The start job's fan-out: every chosen row of the audience becomes a
-- queued recipient, in one statement, priced by its channel and price key
-- (the prices the start job looked up; a key without one costs nothing).
INSERT INTO campaign_recipients (org_id, campaign_id, contact_id, channel, address, status, price_micros, created_at, updated_at)
SELECT @org_id, @campaign_id, a.contact_id, a.channel, a.address, 'queued', coalesce(p.micros, 0), @now, @now
FROM campaign_audience(@org_id, @include_group_ids::uuid[], @exclude_group_ids::uuid[], @channels::text[], @every::boolean) a
LEFT JOIN (SELECT unnest(@price_channels::text[]) AS channel, unnest(@price_keys::text[]) AS price_key,
                  unnest(@price_micros::bigint[]) AS micros) p
       ON p.channel = a.channel AND p.price_key = campaign_price_key(a.channel, a.address)
WHERE a.chosen;

-- name: SetMaterialized :one
-- n is what MaterializeRecipients inserted (never recounted).
UPDATE campaigns SET materialized_at = @now::timestamptz, updated_at = @now::timestamptz, targeted_count = @n::int, queued_count = @n::int,
       currency = @currency::text
WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: QueuedRecipientCounts :many
-- How many recipients of each channel wait to be sent (resume and start
-- enqueue from it).
SELECT channel, count(*)::int AS n FROM campaign_recipients
WHERE campaign_id = @campaign_id AND org_id = @org_id AND status = 'queued'
GROUP BY channel;

-- name: QueuedChatRecipients :many
-- A page of queued chat recipients, for enqueueing their send jobs.
SELECT id, channel FROM campaign_recipients
WHERE campaign_id = @campaign_id AND org_id = @org_id AND status = 'queued' AND channel <> 'email' AND id > @after
ORDER BY id
LIMIT @lim;

-- name: SetCampaignStatus :one
-- Moves a campaign between states; from lists the states it may leave.
UPDATE campaigns SET
    status = @status,
    started_at = CASE WHEN @status = 'running' THEN coalesce(started_at, @now) ELSE started_at END,
    paused_at = CASE WHEN @status = 'paused' THEN @now::timestamptz ELSE paused_at END,
    cancelled_at = CASE WHEN @status = 'cancelled' THEN @now::timestamptz ELSE cancelled_at END,
    scheduled_at = CASE WHEN @status = 'scheduled' THEN sqlc.narg(scheduled_at)::timestamptz ELSE scheduled_at END,
    updated_by = coalesce(sqlc.narg(updated_by), updated_by),
    updated_at = @now
WHERE org_id = @org_id AND id = @id AND status = ANY(@from_states::text[])
RETURNING *;

-- name: CancelQueuedRecipients :execrows
-- Cancel: recipients not yet handed to a provider will never be sent.
WITH c AS (
    UPDATE campaign_recipients SET status = 'cancelled', cancelled_at = @now, updated_at = @now, last_event = 'cancelled', last_event_at = @now
    WHERE campaign_id = @campaign_id AND org_id = @org_id AND status = 'queued'
    RETURNING 1
)
UPDATE campaigns cp SET cancelled_count = cp.cancelled_count + (SELECT count(*) FROM c),
                        queued_count = cp.queued_count - (SELECT count(*) FROM c)
WHERE cp.org_id = @org_id AND cp.id = @campaign_id;

-- name: DueScheduledCampaigns :many
-- Scheduled campaigns whose time has come, claimed so that two schedulers
-- never start one twice.
SELECT * FROM campaigns
WHERE status = 'scheduled' AND scheduled_at <= @now
ORDER BY scheduled_at
LIMIT @lim
FOR UPDATE SKIP LOCKED;

-- name: RunningCampaigns :many
SELECT id, org_id, materialized_at, last_sent_at, settle_seconds FROM campaigns
WHERE status = 'running' AND materialized_at IS NOT NULL;

-- name: CompleteIfDone :one
-- Completes a running campaign when nothing is left to send and either
-- every recipient has a final status or the settling time after its last
-- send has passed. Both checks probe the partial index of recipients in
-- play (campaign_recipients_open_idx), which is empty for a finished
-- campaign: nothing scans all recipients.
UPDATE campaigns c SET status = 'completed', completed_at = @now, updated_at = @now
WHERE c.org_id = @org_id AND c.id = @id AND c.status = 'running' AND c.materialized_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM campaign_recipients r
                  WHERE r.campaign_id = c.id AND r.status IN ('queued', 'sending'))
  AND (NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = c.id AND r.status = 'sent')
       OR coalesce(c.last_sent_at, c.materialized_at) + make_interval(secs => c.settle_seconds) <= @now)
RETURNING c.*;

-- name: ClaimEmailBatch :many
-- An email batch job's recipients: those it claimed before (a retried
-- job resends exactly what it may have sent) or, when none, up to lim
-- queued ones — only while the campaign runs. SKIP LOCKED lets the batch
-- jobs of a campaign claim side by side.
WITH camp AS (
    SELECT cp.id FROM campaigns cp WHERE cp.org_id = @org_id AND cp.id = @campaign_id AND cp.status = 'running'
), mine AS (
    SELECT r.id FROM campaign_recipients r
    WHERE r.campaign_id = @campaign_id AND r.org_id = @org_id AND r.status = 'sending' AND r.channel = 'email'
      AND r.send_job_id = @job_id AND EXISTS (SELECT 1 FROM camp)
), fresh AS (
    SELECT r.id FROM campaign_recipients r
    WHERE r.campaign_id = @campaign_id AND r.org_id = @org_id AND r.status = 'queued' AND r.channel = 'email'
      AND EXISTS (SELECT 1 FROM camp) AND NOT EXISTS (SELECT 1 FROM mine)
    ORDER BY r.id
    LIMIT @lim
    FOR UPDATE SKIP LOCKED
)
UPDATE campaign_recipients r SET status = 'sending', send_job_id = @job_id, updated_at = @now
FROM (SELECT id FROM mine UNION ALL SELECT id FROM fresh) k
WHERE r.id = k.id
RETURNING r.id, r.contact_id, r.address;

-- name: ClaimChatRecipient :one
-- A chat send job's recipient, while the campaign runs: queued moves to
-- sending, claimed by the job (the message is written in the same
-- transaction). A retry finds its recipient through GetRecipientForSend
-- and send_job_id; another job for the same recipient (resume enqueues
-- every queued recipient, and an older job may still be pending) finds
-- it claimed by someone else and sends nothing.
UPDATE campaign_recipients r SET status = 'sending', send_job_id = @job_id, updated_at = @now
FROM campaigns c
WHERE r.org_id = @org_id AND r.id = @id AND c.org_id = @org_id AND c.id = r.campaign_id
  AND c.status = 'running' AND r.status = 'queued'
RETURNING r.id, r.campaign_id, r.contact_id, r.channel, r.address;

-- name: GetRecipientForSend :one
SELECT r.*, c.status AS campaign_status FROM campaign_recipients r
JOIN campaigns c ON c.org_id = r.org_id AND c.id = r.campaign_id
WHERE r.org_id = @org_id AND r.id = @id;

-- name: LinkRecipientMessage :exec
UPDATE campaign_recipients SET message_id = @message_id, updated_at = @now
WHERE org_id = @org_id AND id = @id;

-- name: ReleaseRecipients :exec
-- A batch that could not be sent right now (the campaign was paused
-- under it) goes back to the queue.
UPDATE campaign_recipients SET status = 'queued', send_job_id = NULL, updated_at = @now
WHERE org_id = @org_id AND id = ANY(@ids::bigint[]) AND status = 'sending';

-- name: ApplyRecipientEvents :many
-- The one statement that moves recipients: each event sets its
-- milestone's time once, the status moves forward only (to the
-- highest-ranked event), and each campaign's counters grow by the
-- milestones set for the first time here. The recipients are locked first
-- (in id order) and their old milestones read under the lock, so that
-- concurrent batches with the same recipient never count it twice;
-- duplicates and late events set nothing and count nothing.
WITH ev AS (
    SELECT unnest(@ids::bigint[]) AS id, unnest(@statuses::text[]) AS status, unnest(@ats::timestamptz[]) AS at,
           unnest(@codes::text[]) AS code, unnest(@reasons::text[]) AS reason, unnest(@provider_message_ids::text[]) AS pmid
), agg AS (
    SELECT ev.id,
           min(ev.at) FILTER (WHERE ev.status = 'sent') AS sent_at,
           min(ev.at) FILTER (WHERE ev.status = 'delivered') AS delivered_at,
           min(ev.at) FILTER (WHERE ev.status = 'opened') AS opened_at,
           min(ev.at) FILTER (WHERE ev.status = 'read') AS read_at,
           min(ev.at) FILTER (WHERE ev.status = 'clicked') AS clicked_at,
           min(ev.at) FILTER (WHERE ev.status = 'bounced') AS bounced_at,
           min(ev.at) FILTER (WHERE ev.status = 'spam') AS spam_at,
           min(ev.at) FILTER (WHERE ev.status IN ('failed', 'undelivered')) AS failed_at,
           min(ev.at) FILTER (WHERE ev.status = 'unsubscribed') AS unsubscribed_at,
           max(ev.pmid) FILTER (WHERE ev.pmid <> '') AS pmid,
           (array_agg(ev.status ORDER BY campaign_recipient_rank(ev.status) DESC NULLS LAST, ev.at))[1] AS best,
           (array_agg(ev.code ORDER BY campaign_recipient_rank(ev.status) DESC NULLS LAST, ev.at))[1] AS best_code,
           (array_agg(ev.reason ORDER BY campaign_recipient_rank(ev.status) DESC NULLS LAST, ev.at))[1] AS best_reason,
           -- Provider times are often whole seconds (SendGrid): among
           -- events of the same time the furthest along is the last.
           (array_agg(ev.status ORDER BY ev.at DESC, campaign_recipient_rank(ev.status) DESC NULLS LAST))[1] AS last_event,
           max(ev.at) AS last_at
    FROM ev GROUP BY ev.id
), old AS (
    SELECT r.id, r.campaign_id, r.status, r.sent_at, r.delivered_at, r.opened_at, r.read_at, r.clicked_at,
           r.bounced_at, r.spam_at, r.failed_at, r.unsubscribed_at
    FROM campaign_recipients r
    WHERE r.org_id = @org_id AND r.id = ANY(@ids::bigint[])
    ORDER BY r.id
    FOR UPDATE
), upd AS (
    UPDATE campaign_recipients r SET
        status = CASE WHEN campaign_recipient_rank(a.best) > campaign_recipient_rank(o.status) THEN a.best ELSE o.status END,
        sent_at = coalesce(o.sent_at, a.sent_at),
        delivered_at = coalesce(o.delivered_at, a.delivered_at),
        opened_at = coalesce(o.opened_at, a.opened_at),
        read_at = coalesce(o.read_at, a.read_at),
        clicked_at = coalesce(o.clicked_at, a.clicked_at),
        bounced_at = coalesce(o.bounced_at, a.bounced_at),
        spam_at = coalesce(o.spam_at, a.spam_at),
        failed_at = coalesce(o.failed_at, a.failed_at),
        unsubscribed_at = coalesce(o.unsubscribed_at, a.unsubscribed_at),
        provider_message_id = coalesce(a.pmid, r.provider_message_id),
        error_code = CASE WHEN campaign_recipient_rank(a.best) > campaign_recipient_rank(o.status)
                               AND a.best IN ('failed', 'bounced', 'undelivered', 'spam') THEN a.best_code ELSE r.error_code END,
        error = CASE WHEN campaign_recipient_rank(a.best) > campaign_recipient_rank(o.status)
                          AND a.best IN ('failed', 'bounced', 'undelivered', 'spam') THEN a.best_reason ELSE r.error END,
        -- Compared to the second, and within a second the furthest along
        -- is the last: a SendGrid event stamped in the second of the send
        -- (recorded to the microsecond) comes after it, whichever of the
        -- two is recorded first (a webhook can beat a busy worker).
        last_event = CASE WHEN r.last_event_at IS NULL
                               OR date_trunc('second', a.last_at) > date_trunc('second', r.last_event_at)
                               OR (date_trunc('second', a.last_at) = date_trunc('second', r.last_event_at)
                                   AND campaign_recipient_rank(a.last_event) >= campaign_recipient_rank(r.last_event))
                          THEN a.last_event ELSE r.last_event END,
        last_event_at = greatest(r.last_event_at, a.last_at),
        updated_at = now()
    FROM agg a JOIN old o ON o.id = a.id
    WHERE r.id = a.id
    RETURNING r.campaign_id,
        (o.status IN ('queued', 'sending') AND r.status NOT IN ('queued', 'sending'))::int AS left_queue,
        (o.sent_at IS NULL AND r.sent_at IS NOT NULL)::int AS n_sent,
        (o.delivered_at IS NULL AND r.delivered_at IS NOT NULL)::int AS n_delivered,
        (o.opened_at IS NULL AND r.opened_at IS NOT NULL)::int AS n_opened,
        (o.read_at IS NULL AND r.read_at IS NOT NULL)::int AS n_read,
        (o.clicked_at IS NULL AND r.clicked_at IS NOT NULL)::int AS n_clicked,
        (o.bounced_at IS NULL AND r.bounced_at IS NOT NULL)::int AS n_bounced,
        (o.spam_at IS NULL AND r.spam_at IS NOT NULL)::int AS n_spam,
        (o.failed_at IS NULL AND r.failed_at IS NOT NULL)::int AS n_failed,
        (o.unsubscribed_at IS NULL AND r.unsubscribed_at IS NOT NULL)::int AS n_unsubscribed,
        CASE WHEN o.sent_at IS NULL AND r.sent_at IS NOT NULL THEN r.price_micros ELSE 0 END AS cost,
        r.sent_at
), sums AS (
    SELECT u.campaign_id, sum(u.left_queue)::int AS left_queue, sum(u.n_sent)::int AS n_sent,
           sum(u.n_delivered)::int AS n_delivered, sum(u.n_opened)::int AS n_opened, sum(u.n_read)::int AS n_read,
           sum(u.n_clicked)::int AS n_clicked, sum(u.n_bounced)::int AS n_bounced, sum(u.n_spam)::int AS n_spam,
           sum(u.n_failed)::int AS n_failed, sum(u.n_unsubscribed)::int AS n_unsubscribed,
           sum(u.cost)::bigint AS cost,
           max(u.sent_at) FILTER (WHERE u.n_sent = 1) AS last_sent
    FROM upd u GROUP BY u.campaign_id
), bump AS (
    UPDATE campaigns c SET
        queued_count = c.queued_count - s.left_queue,
        sent_count = c.sent_count + s.n_sent,
        delivered_count = c.delivered_count + s.n_delivered,
        opened_count = c.opened_count + s.n_opened,
        read_count = c.read_count + s.n_read,
        clicked_count = c.clicked_count + s.n_clicked,
        bounced_count = c.bounced_count + s.n_bounced,
        spam_count = c.spam_count + s.n_spam,
        failed_count = c.failed_count + s.n_failed,
        unsubscribed_count = c.unsubscribed_count + s.n_unsubscribed,
        cost_micros = c.cost_micros + s.cost,
        last_sent_at = greatest(c.last_sent_at, s.last_sent)
    FROM sums s
    WHERE c.org_id = @org_id AND c.id = s.campaign_id
    RETURNING c.id
)
SELECT s.campaign_id, s.n_sent FROM sums s;

-- name: RecipientsOfMessages :many
-- Chat webhooks: the campaign recipients of a batch of a provider's
-- message ids (through their outbound messages), with each event's
-- position in the batch.
SELECT r.id, e.ord::int AS ord
FROM unnest(@provider_message_ids::text[]) WITH ORDINALITY AS e(pmid, ord)
JOIN outbound_messages m ON m.org_id = @org_id AND m.provider = @provider AND m.provider_message_id = e.pmid
     AND m.provider_message_id IS NOT NULL
JOIN campaign_recipients r ON r.message_id = m.id AND r.org_id = @org_id;

-- name: MessageOutcome :one
-- What the messaging send path made of a chat recipient's message.
SELECT m.status, m.provider_message_id, m.sent_at, m.failed_at, m.error_code, m.error_reason
FROM outbound_messages m WHERE m.org_id = @org_id AND m.id = @id;

-- name: CreateCampaignMessage :one
-- A chat recipient's outbound message and its first timeline event, in
-- the claim's transaction; the conversation of the contact and channel is
-- found or started so that replies thread under it.
WITH conv AS (
    INSERT INTO conversations (org_id, contact_id, channel, last_message_at, last_message_preview, last_message_direction)
    VALUES (@org_id, @contact_id, @channel, @now, @preview, 'outbound')
    ON CONFLICT (org_id, contact_id, channel) DO UPDATE SET
        last_message_at = excluded.last_message_at, last_message_preview = excluded.last_message_preview,
        last_message_direction = 'outbound'
    RETURNING id
), msg AS (
    INSERT INTO outbound_messages (org_id, channel, contact_id, conversation_id, to_address, template_id, template_version,
                                   body_text, status, provider, created_by, created_at, updated_at)
    SELECT @org_id, @channel, @contact_id, conv.id, @to_address, @template_id, @template_version,
           @body_text, 'queued', @provider, sqlc.narg(created_by), @now, @now
    FROM conv
    RETURNING id, org_id
), ev AS (
    INSERT INTO message_events (org_id, message_id, status, source, detail, occurred_at)
    SELECT org_id, id, 'queued', 'worker', jsonb_build_object('campaign_id', @campaign_id::uuid), @now FROM msg
)
SELECT id FROM msg;

-- name: ListRecipients :many
SELECT * FROM campaign_recipients
WHERE org_id = @org_id AND campaign_id = @campaign_id
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(channel)::text IS NULL OR channel = sqlc.narg(channel)::text)
  AND id > @after
ORDER BY id
LIMIT @lim;

-- name: RecipientContacts :many
-- What rendering needs of each recipient's contact.
SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.attributes
FROM contacts c WHERE c.org_id = @org_id AND c.id = ANY(@ids::uuid[]);

-- name: OrgTimezone :one
SELECT timezone FROM orgs WHERE id = @id;

-- name: EmailBatchHeld :one
-- For an email batch job that claimed nothing: the campaign's status and
-- how many recipients the job still holds from an earlier run (status
-- sending, claimed by it), which a pause must not strand.
SELECT c.status,
       (SELECT count(*) FROM campaign_recipients r
        WHERE r.campaign_id = c.id AND r.org_id = c.org_id AND r.status = 'sending' AND r.channel = 'email'
          AND r.send_job_id = @job_id)::int AS held
FROM campaigns c WHERE c.org_id = @org_id AND c.id = @campaign_id;

-- name: HeldEmailRecipients :many
-- The recipients an email batch job holds (claimed, not yet recorded).
SELECT id FROM campaign_recipients
WHERE campaign_id = @campaign_id AND org_id = @org_id AND status = 'sending' AND channel = 'email' AND send_job_id = @job_id;

-- name: BlockedEmailRecipients :many
-- Which of an email batch's recipients may no longer be mailed: the
-- address was suppressed or the contact opted out of email since the
-- start job chose them (a throttled campaign runs for hours).
SELECT r.id, (s.id IS NOT NULL)::boolean AS suppressed
FROM campaign_recipients r
LEFT JOIN contacts c ON c.org_id = r.org_id AND c.id = r.contact_id
LEFT JOIN suppressions s ON s.org_id = r.org_id AND s.channel = 'email' AND s.value = lower(r.address)
WHERE r.org_id = @org_id AND r.id = ANY(@ids::bigint[])
  AND (s.id IS NOT NULL OR c.consent -> 'email' ->> 'status' = 'opted_out');

-- name: ReleaseOrphanedRecipients :many
-- The sweep: recipients of a campaign left in sending by a job that will
-- never finish them (discarded after its last attempt, cancelled, or
-- deleted) go back to queued, unclaimed, for new jobs to send. A job that
-- may still run (available, scheduled, retryable, running, pending) keeps
-- its claim. The open index finds the campaign's sending recipients; SKIP
-- LOCKED leaves those a job is updating right now.
UPDATE campaign_recipients r SET status = 'queued', send_job_id = NULL, updated_at = @now
FROM (
    SELECT s.id FROM campaign_recipients s
    WHERE s.campaign_id = @campaign_id AND s.org_id = @org_id AND s.status = 'sending'
      AND NOT EXISTS (SELECT 1 FROM river_job j WHERE j.id = s.send_job_id AND j.state NOT IN ('discarded', 'cancelled'))
    ORDER BY s.id
    FOR UPDATE SKIP LOCKED
) k
WHERE r.id = k.id
RETURNING r.id, r.channel;
