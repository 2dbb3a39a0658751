ALTER TABLE campaigns DROP COLUMN cost_micros, DROP COLUMN currency;
ALTER TABLE campaign_recipients DROP COLUMN price_micros;
DROP FUNCTION campaign_price_key(text, text);
