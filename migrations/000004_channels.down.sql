DROP TABLE IF EXISTS channel_settings;
