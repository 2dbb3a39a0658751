-- Contacts, groups, CSV imports, the suppression list and consent history.

-- Trigram indexes back the contact and suppression searches (substring
-- matches on names, emails and numbers). pg_trgm is a trusted extension:
-- a database owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- A contact is someone an org reaches on one or more channels. Channel
-- fields are NULL when absent (never ''), so that the partial unique indexes
-- below dedupe per channel within an org. Values are stored normalized by
-- the application: email trimmed with its domain lower-cased, phone and
-- WhatsApp numbers in E.164, Telegram chat ids and Instagram scoped ids as
-- decimal strings.
CREATE TABLE contacts (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email              text CHECK (email <> '' AND length(email) <= 254),
    -- The dedupe and lookup key: emails match case-insensitively.
    email_normalized   text GENERATED ALWAYS AS (lower(email)) STORED,
    phone              text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    whatsapp           text CHECK (whatsapp ~ '^\+[1-9][0-9]{6,14}$'),
    telegram_chat_id   text CHECK (telegram_chat_id ~ '^-?[1-9][0-9]{0,19}$'),
    telegram_username  text CHECK (telegram_username <> ''),
    -- Instagram-scoped id (IGSID) of the person for the org's Instagram account.
    instagram_id       text CHECK (instagram_id ~ '^[0-9]{1,32}$'),
    instagram_username text CHECK (instagram_username <> ''),
    first_name         text NOT NULL DEFAULT '',
    last_name          text NOT NULL DEFAULT '',
    locale             text NOT NULL DEFAULT '',
    timezone           text NOT NULL DEFAULT '',
    -- Free-form values, usable as template variables ({{attributes.plan}}).
    attributes         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    tags               text[] NOT NULL DEFAULT '{}',
    -- Per channel: {"email": {"status": "opted_in"|"opted_out", "source": "...", "at": "<RFC 3339>"}}.
    -- A channel without a key has no recorded consent either way.
    consent            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(consent) = 'object'),
    -- Sort key of the "name" order and the haystack of the search, kept by Postgres.
    sort_name          text GENERATED ALWAYS AS (lower(btrim(first_name || ' ' || last_name))) STORED,
    search_text        text GENERATED ALWAYS AS (lower(
                           first_name || ' ' || last_name || ' ' || coalesce(email, '') || ' ' ||
                           coalesce(phone, '') || ' ' || coalesce(whatsapp, '') || ' ' ||
                           coalesce(telegram_username, '') || ' ' || coalesce(instagram_username, ''))) STORED,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    -- A contact is reachable somewhere.
    CONSTRAINT contacts_has_channel CHECK (num_nonnulls(email, phone, whatsapp, telegram_chat_id, instagram_id) > 0),
    -- Lets child tables reference (org_id, id), so a row can never point at
    -- another org's contact.
    UNIQUE (org_id, id)
);
-- Per-channel dedupe within an org, enforced under concurrency.
CREATE UNIQUE INDEX contacts_email_key ON contacts (org_id, email_normalized) WHERE email_normalized IS NOT NULL;
CREATE UNIQUE INDEX contacts_phone_key ON contacts (org_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_whatsapp_key ON contacts (org_id, whatsapp) WHERE whatsapp IS NOT NULL;
CREATE UNIQUE INDEX contacts_telegram_key ON contacts (org_id, telegram_chat_id) WHERE telegram_chat_id IS NOT NULL;
CREATE UNIQUE INDEX contacts_instagram_key ON contacts (org_id, instagram_id) WHERE instagram_id IS NOT NULL;
-- Keyset pagination: one index per sort order (scanned backwards for the
-- other direction).
CREATE INDEX contacts_org_created_idx ON contacts (org_id, created_at, id);
CREATE INDEX contacts_org_name_idx ON contacts (org_id, sort_name, id);
CREATE INDEX contacts_org_email_idx ON contacts (org_id, (coalesce(email_normalized, '')), id);
-- Search and filters.
CREATE INDEX contacts_search_idx ON contacts USING gin (search_text gin_trgm_ops);
CREATE INDEX contacts_tags_idx ON contacts USING gin (tags);
CREATE INDEX contacts_consent_idx ON contacts USING gin (consent);

CREATE TABLE contact_groups (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    description text NOT NULL DEFAULT '',
    -- A CSS hex color, e.g. #1c7ed6.
    color       text NOT NULL DEFAULT '' CHECK (color = '' OR color ~ '^#[0-9a-f]{6}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX contact_groups_name_key ON contact_groups (org_id, lower(name));

-- Membership carries org_id so that both foreign keys pin it to one org.
CREATE TABLE contact_group_members (
    org_id     uuid NOT NULL,
    group_id   uuid NOT NULL,
    contact_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, contact_id),
    FOREIGN KEY (org_id, group_id) REFERENCES contact_groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_group_members_contact_idx ON contact_group_members (org_id, contact_id);

-- contacts_matching is the one definition of the contact list's filters,
-- shared by the list, the export and the bulk actions. It is a plain SQL
-- function that Postgres inlines into the calling query, so the planner
-- sees through it: ORDER BY ... LIMIT on top uses the keyset indexes.
-- NULL arguments mean "no filter". search is a LIKE pattern on search_text
-- (lower-cased, wildcards escaped by the caller).
CREATE FUNCTION contacts_matching(
    p_org uuid, p_search text, p_tag text, p_group uuid, p_has_channel text, p_opted_out text
) RETURNS SETOF contacts
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT c.* FROM contacts c
    WHERE c.org_id = p_org
      AND (p_search IS NULL OR c.search_text LIKE p_search)
      AND (p_tag IS NULL OR c.tags @> ARRAY[p_tag])
      AND (p_group IS NULL OR EXISTS (
              SELECT 1 FROM contact_group_members m
              WHERE m.group_id = p_group AND m.org_id = p_org AND m.contact_id = c.id))
      AND (p_has_channel IS NULL
           OR (p_has_channel = 'email' AND c.email IS NOT NULL)
           OR (p_has_channel = 'phone' AND c.phone IS NOT NULL)
           OR (p_has_channel = 'whatsapp' AND c.whatsapp IS NOT NULL)
           OR (p_has_channel = 'telegram' AND c.telegram_chat_id IS NOT NULL)
           OR (p_has_channel = 'instagram' AND c.instagram_id IS NOT NULL))
      AND (p_opted_out IS NULL
           OR (p_opted_out = 'any' AND c.consent @@ '$.*.status == "opted_out"')
           OR (p_opted_out <> 'any' AND c.consent @> jsonb_build_object(p_opted_out, '{"status": "opted_out"}'::jsonb)))
$$;

-- The org-wide suppression list: addresses never to message on a channel,
-- whoever they belong to (a suppression outlives the contact). value is
-- normalized like the contact field of the channel (email lower-cased
-- entirely, WhatsApp in E.164, Telegram chat id, Instagram IGSID).
CREATE TABLE suppressions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    channel    text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'telegram', 'instagram')),
    value      text NOT NULL CHECK (value <> ''),
    reason     text NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'spam_complaint', 'manual')),
    -- Where it came from: unsubscribe_page, one_click, api, import, a provider's webhook...
    source     text NOT NULL DEFAULT '',
    note       text NOT NULL DEFAULT '',
    contact_id uuid,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE SET NULL (contact_id)
);
CREATE UNIQUE INDEX suppressions_value_key ON suppressions (org_id, channel, value);
CREATE INDEX suppressions_org_created_idx ON suppressions (org_id, created_at, id);
CREATE INDEX suppressions_search_idx ON suppressions USING gin (value gin_trgm_ops);
CREATE INDEX suppressions_contact_idx ON suppressions (org_id, contact_id) WHERE contact_id IS NOT NULL;

-- contact_channels is every (contact, channel) that has an address, with
-- whether a message may go there. Sends and campaigns select from it
-- set-based, e.g.
--   INSERT INTO recipients (...) SELECT ... FROM contact_channels cc
--   WHERE cc.org_id = $1 AND cc.channel = 'email' AND cc.sendable AND ...
-- Filters on org_id and channel are pushed into the branch of the channel.
CREATE VIEW contact_channels AS
SELECT a.org_id, a.contact_id, a.channel, a.address,
       a.consent_status = 'opted_out' AS opted_out,
       s.id IS NOT NULL AS suppressed,
       a.consent_status <> 'opted_out' AND s.id IS NULL AS sendable
FROM (
    SELECT c.org_id, c.id AS contact_id, 'email'::text AS channel, c.email_normalized AS address,
           coalesce(c.consent -> 'email' ->> 'status', '') AS consent_status
    FROM contacts c WHERE c.email IS NOT NULL
    UNION ALL
    SELECT c.org_id, c.id, 'whatsapp', c.whatsapp, coalesce(c.consent -> 'whatsapp' ->> 'status', '')
    FROM contacts c WHERE c.whatsapp IS NOT NULL
    UNION ALL
    SELECT c.org_id, c.id, 'telegram', c.telegram_chat_id, coalesce(c.consent -> 'telegram' ->> 'status', '')
    FROM contacts c WHERE c.telegram_chat_id IS NOT NULL
    UNION ALL
    SELECT c.org_id, c.id, 'instagram', c.instagram_id, coalesce(c.consent -> 'instagram' ->> 'status', '')
    FROM contacts c WHERE c.instagram_id IS NOT NULL
) a
LEFT JOIN suppressions s ON s.org_id = a.org_id AND s.channel = a.channel AND s.value = a.address;

-- Every change of consent or of the suppression list, with who made it and
-- why: resubscribing someone is never silent.
CREATE TABLE consent_events (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id       uuid,
    channel          text NOT NULL,
    -- The address at the time.
    value            text NOT NULL DEFAULT '',
    action           text NOT NULL CHECK (action IN ('opted_in', 'opted_out', 'resubscribed', 'suppressed', 'unsuppressed')),
    reason           text NOT NULL DEFAULT '',
    source           text NOT NULL DEFAULT '',
    actor_user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE SET NULL (contact_id)
);
CREATE INDEX consent_events_contact_idx ON consent_events (org_id, contact_id, created_at);
CREATE INDEX consent_events_org_idx ON consent_events (org_id, created_at);

-- A CSV import. The file is kept in contact_import_chunks until the import
-- completes; the worker streams it back from there.
CREATE TABLE contact_imports (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    filename       text NOT NULL DEFAULT '',
    size_bytes     bigint NOT NULL DEFAULT 0,
    -- uploaded -> ready (rows counted) -> queued (started) -> running -> completed | failed.
    status         text NOT NULL DEFAULT 'uploaded'
                   CHECK (status IN ('uploaded', 'ready', 'queued', 'running', 'completed', 'failed')),
    -- reading (streaming the file into staging) or merging (set-based merge), while running.
    phase          text NOT NULL DEFAULT '',
    delimiter      text NOT NULL DEFAULT ',' CHECK (length(delimiter) = 1),
    header         text[] NOT NULL DEFAULT '{}',
    -- One target per header column ('' ignores it), set when started.
    mapping        text[],
    overwrite      boolean NOT NULL DEFAULT false,
    group_ids      uuid[] NOT NULL DEFAULT '{}',
    tags           text[] NOT NULL DEFAULT '{}',
    default_country text NOT NULL DEFAULT 'US',
    rows_total     integer NOT NULL DEFAULT 0,
    rows_done      integer NOT NULL DEFAULT 0,
    created_count  integer NOT NULL DEFAULT 0,
    merged_count   integer NOT NULL DEFAULT 0,
    rejected_count integer NOT NULL DEFAULT 0,
    error          text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz
);
CREATE INDEX contact_imports_org_idx ON contact_imports (org_id, created_at);

CREATE TABLE contact_import_chunks (
    import_id uuid NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    seq       integer NOT NULL,
    data      bytea NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- Staging for a running import: one row per CSV data line, normalized by the
-- worker and COPYed in, then merged into contacts set-based. Rows live only
-- inside the import's transaction (written and deleted by it), so the table
-- is unlogged: a crash loses nothing that a retry does not rebuild.
CREATE UNLOGGED TABLE contact_import_rows (
    import_id          uuid NOT NULL,
    line               integer NOT NULL,
    -- The first line of the row's cluster: rows sharing any channel value
    -- within the file form one cluster, merged into one contact.
    root               integer NOT NULL,
    email              text,
    email_normalized   text,
    phone              text,
    whatsapp           text,
    telegram_chat_id   text,
    telegram_username  text,
    instagram_id       text,
    instagram_username text,
    first_name         text,
    last_name          text,
    locale             text,
    timezone           text,
    attributes         jsonb,
    tags               text[],
    reject_reason      text,
    raw                text[] NOT NULL,
    -- The id a new contact made from this row gets: time-ordered (UUIDv7),
    -- so that a big import appends to the indexes instead of splitting
    -- pages all over them.
    new_id             uuid NOT NULL,
    -- Set on root rows by the merge: the existing contact matched, or why
    -- the cluster cannot merge.
    contact_id         uuid,
    match_error        text,
    PRIMARY KEY (import_id, line)
);

CREATE TABLE contact_import_rejects (
    import_id uuid NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    line      integer NOT NULL,
    reason    text NOT NULL,
    fields    text[] NOT NULL,
    PRIMARY KEY (import_id, line)
);
