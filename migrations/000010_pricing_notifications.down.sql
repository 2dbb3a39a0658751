DROP TABLE IF EXISTS notifications;
DROP TABLE IF EXISTS org_prices;
DROP TABLE IF EXISTS org_pricing;
DROP TABLE IF EXISTS list_prices;
