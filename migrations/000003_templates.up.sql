-- Message templates: a template is an identity (name, channel, default
-- flag) with a chain of versions. Content lives on the versions; the template
-- points at its newest version (what the editor shows) and at the approved
-- version in use. Editing an approved version adds a new draft version, so
-- what sends use never changes until an admin approves the new one.

CREATE TABLE templates (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    channel          text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'telegram', 'instagram')),
    -- The newest version: the draft being worked on, or the approved one.
    latest_version   integer NOT NULL DEFAULT 1 CHECK (latest_version >= 1),
    -- The version sends and campaigns use; NULL until the first approval.
    approved_version integer CHECK (approved_version BETWEEN 1 AND latest_version),
    is_default       boolean NOT NULL DEFAULT false,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- Only a template with an approved version may be a channel's default.
    CONSTRAINT templates_default_is_approved CHECK (NOT is_default OR approved_version IS NOT NULL),
    -- Lets versions reference (org_id, id), so a version never crosses orgs.
    CONSTRAINT templates_org_id_id_key UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX templates_name_key ON templates (org_id, channel, lower(name));
-- One default template per channel per org.
CREATE UNIQUE INDEX templates_one_default_per_channel ON templates (org_id, channel) WHERE is_default;
-- The list: by name, keyset-paginated.
CREATE INDEX templates_org_name_idx ON templates (org_id, lower(name), id);

CREATE TABLE template_versions (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                uuid NOT NULL,
    template_id           uuid NOT NULL,
    version               integer NOT NULL CHECK (version >= 1),
    status                text NOT NULL DEFAULT 'draft'
                          CHECK (status IN ('draft', 'pending_approval', 'approved', 'rejected')),
    subject               text NOT NULL DEFAULT '',
    body_html             text NOT NULL DEFAULT '',
    body_text             text NOT NULL DEFAULT '',
    -- body_text was derived from body_html (and follows its edits).
    body_text_generated   boolean NOT NULL DEFAULT false,
    -- The chat channels' body.
    body                  text NOT NULL DEFAULT '',
    -- WhatsApp: the provider's template (Twilio Content SID, HX...) and name.
    provider_template_name text NOT NULL DEFAULT '',
    provider_template_sid  text NOT NULL DEFAULT '',
    -- Declared variables: [{"name": ..., "default": ..., "sample": ...}].
    variables             jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(variables) = 'array'),
    rejection_reason      text,
    submitted_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    submitted_at          timestamptz,
    approved_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    approved_at           timestamptz,
    rejected_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    rejected_at           timestamptz,
    -- When a newer version was approved in its place.
    superseded_at         timestamptz,
    created_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT template_versions_template_fkey FOREIGN KEY (org_id, template_id)
        REFERENCES templates (org_id, id) ON DELETE CASCADE,
    CONSTRAINT template_versions_version_key UNIQUE (template_id, version),
    CONSTRAINT template_versions_rejected_has_reason CHECK (status <> 'rejected' OR rejection_reason IS NOT NULL),
    CONSTRAINT template_versions_approved_has_time CHECK (status <> 'approved' OR approved_at IS NOT NULL)
);
-- No index of its own on (org_id, template_id): the (template_id, version)
-- key serves the foreign key's cascades and every lookup.

-- The version in use must be one of the template's own versions.
ALTER TABLE templates ADD CONSTRAINT templates_approved_version_fkey
    FOREIGN KEY (id, approved_version) REFERENCES template_versions (template_id, version);

-- Per-org template settings: the email footer appended to email templates
-- that carry no {{unsubscribe_url}} of their own. No row: the built-in footer.
CREATE TABLE org_template_settings (
    org_id            uuid PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    email_footer_html text NOT NULL,
    email_footer_text text NOT NULL,
    updated_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
