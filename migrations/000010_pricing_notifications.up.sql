-- Pricing: what an org pays per message, for campaign cost estimates.
--
-- list_prices holds the published list prices every org starts from: a new
-- org's table is copied from it (internal/orgs Create, through
-- internal/pricing Seed), existing orgs are seeded below, and "reset to list
-- prices" reads it again. Keeping them in one table, not in Go, lets this
-- migration and the code share a single copy of the numbers; a later
-- migration updates them when the providers change theirs (orgs keep what
-- they have).
--
-- A row prices one message on a channel. WhatsApp rows are per template
-- category and per destination country (the ISO 3166-1 alpha-2 region of the
-- recipient's E.164 number); country '' is the default row, used for any
-- country without a row of its own. The other channels have one row each,
-- category '' (their providers price neither by category nor here by
-- country), and may add per-country rows the same way.
CREATE TABLE list_prices (
    channel  text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'telegram', 'instagram')),
    category text NOT NULL DEFAULT '' CHECK (category IN ('', 'marketing', 'utility', 'authentication', 'service')),
    country  text NOT NULL DEFAULT '' CHECK (country ~ '^([A-Z]{2})?$'),
    -- USD per message, exact to a millionth.
    price    numeric(12, 6) NOT NULL CHECK (price >= 0),
    CHECK ((channel = 'whatsapp') = (category <> '')),
    PRIMARY KEY (channel, category, country)
);

-- List prices at the time of writing (2025), in USD per message. Not a quote:
-- every org can edit its own table.
--
-- Email: SendGrid's Essentials plan, $19.95 a month for 50,000 emails
-- (sendgrid.com/pricing): $0.000399 per email.
-- Telegram and Instagram: the Bot API and the Instagram messaging API charge
-- nothing per message.
-- WhatsApp through Twilio: Twilio's fee of $0.005 per message
-- (twilio.com/whatsapp/pricing) plus Meta's per-template-message fee, which
-- Twilio passes through, from Meta's rate card for per-message pricing
-- (effective 1 July 2025, developers.facebook.com/docs/whatsapp/pricing).
-- Service (non-template) messages carry no Meta fee: Twilio's alone. The
-- default row is Meta's "Other" market.
INSERT INTO list_prices (channel, category, country, price) VALUES
    ('email', '', '', 0.000399),
    ('telegram', '', '', 0),
    ('instagram', '', '', 0),
    ('whatsapp', 'service', '', 0.005);

INSERT INTO list_prices (channel, category, country, price)
SELECT 'whatsapp', m.category, m.country, m.fee + 0.005
FROM (VALUES
    -- country, Meta's marketing, utility and authentication fees (USD)
    ('',   0.0604, 0.0077, 0.0077),
    ('US', 0.0250, 0.0040, 0.0135),
    ('CA', 0.0250, 0.0040, 0.0135),
    ('GB', 0.0529, 0.0220, 0.0358),
    ('DE', 0.1365, 0.0550, 0.0768),
    ('FR', 0.0859, 0.0300, 0.0385),
    ('ES', 0.0615, 0.0200, 0.0359),
    ('IT', 0.0691, 0.0300, 0.0378),
    ('NL', 0.1597, 0.0500, 0.0722),
    ('BR', 0.0625, 0.0080, 0.0315),
    ('MX', 0.0305, 0.0085, 0.0239),
    ('AR', 0.0618, 0.0260, 0.0367),
    ('CO', 0.0125, 0.0008, 0.0077),
    ('IN', 0.0107, 0.0014, 0.0014),
    ('ID', 0.0411, 0.0250, 0.0300),
    ('ZA', 0.0379, 0.0076, 0.0200),
    ('NG', 0.0516, 0.0067, 0.0280),
    ('AE', 0.0384, 0.0157, 0.0178),
    ('SA', 0.0455, 0.0115, 0.0107),
    ('TR', 0.0109, 0.0053, 0.0083)
) AS r (country, marketing, utility, authentication)
CROSS JOIN LATERAL (VALUES
    (r.country, 'marketing', r.marketing),
    (r.country, 'utility', r.utility),
    (r.country, 'authentication', r.authentication)
) AS m (country, category, fee);

-- An org's price table: its currency and who changed it last.
CREATE TABLE org_pricing (
    org_id     uuid PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    -- ISO 4217. Changing it converts nothing: it names the prices' unit.
    currency   text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- An org's prices, shaped as list_prices. The key is what an estimate looks
-- up: (org, channel, category) and the country or the default row.
CREATE TABLE org_prices (
    org_id   uuid NOT NULL REFERENCES org_pricing (org_id) ON DELETE CASCADE,
    channel  text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'telegram', 'instagram')),
    category text NOT NULL DEFAULT '' CHECK (category IN ('', 'marketing', 'utility', 'authentication', 'service')),
    country  text NOT NULL DEFAULT '' CHECK (country ~ '^([A-Z]{2})?$'),
    price    numeric(12, 6) NOT NULL CHECK (price >= 0),
    CHECK ((channel = 'whatsapp') = (category <> '')),
    PRIMARY KEY (org_id, channel, category, country)
);

INSERT INTO org_pricing (org_id) SELECT id FROM orgs;
INSERT INTO org_prices (org_id, channel, category, country, price)
SELECT o.id, l.channel, l.category, l.country, l.price FROM orgs o CROSS JOIN list_prices l;

-- Notifications: what the app tells one user in one org (a campaign
-- finished, an alert fired). Producers call internal/notifications Create
-- in their own transactions; the header's bell polls the list.
CREATE TABLE notifications (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What produced it ("campaign.completed"), for icons and filters.
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$' AND length(kind) <= 64),
    title      text NOT NULL CHECK (title <> '' AND length(title) <= 200),
    body       text NOT NULL DEFAULT '' CHECK (length(body) <= 2000),
    -- A path inside the app ("/messaging/campaigns/..."), never another
    -- site: the bell navigates to it.
    link       text NOT NULL DEFAULT '' CHECK (link = '' OR (link LIKE '/%' AND link NOT LIKE '//%' AND length(link) <= 2000)),
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
-- The bell's list: one user's in one org, newest first (keyset).
CREATE INDEX notifications_user_idx ON notifications (user_id, org_id, created_at DESC, id DESC);
-- The badge: the unread count reads only unread rows.
CREATE INDEX notifications_unread_idx ON notifications (user_id, org_id) WHERE read_at IS NULL;
-- Cascades from orgs.
CREATE INDEX notifications_org_idx ON notifications (org_id);
