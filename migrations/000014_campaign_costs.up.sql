-- Campaign costs from the org's price table (Settings → Pricing).
--
-- A WhatsApp message is priced by the destination country of its number,
-- which SQL cannot tell from the number (that takes libphonenumber's
-- metadata, in Go). campaign_price_key cuts a number to the prefix that
-- decides its price: the country calling code with the next digit (+49 1),
-- and for the North American plan (+1) the area code, which names the
-- country (+1 416 is Canada). The estimate and the start job group
-- recipients by this key, Go resolves each key to a country once, and the
-- price is looked up per key: a handful of rows, whatever the audience.
-- Other channels have one price each: their key is empty.
CREATE FUNCTION campaign_price_key(channel text, address text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN channel <> 'whatsapp' THEN ''
                WHEN address LIKE '+1%' THEN left(address, 5)
                ELSE left(address, 4) END
$$;

-- The price of a recipient's message, fixed when the start job writes it
-- (the estimate's price, even if the table is edited during the run).
ALTER TABLE campaign_recipients ADD COLUMN price_micros bigint NOT NULL DEFAULT 0;

-- Cost so far: the sum of price_micros of the recipients sent, bumped by
-- the statement that records their sends (as sent_count is), in the
-- currency of the org's table when the campaign started.
ALTER TABLE campaigns ADD COLUMN cost_micros bigint NOT NULL DEFAULT 0,
                      ADD COLUMN currency text NOT NULL DEFAULT '';
