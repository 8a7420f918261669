-- Step 2: enrichment bookkeeping and the index behind "recent series" suggestions.
ALTER TABLE series ADD COLUMN enriched_at TEXT;      -- when AniList was last asked (success or "not found")
ALTER TABLE series ADD COLUMN enrichment_source TEXT; -- e.g. 'anilist'
CREATE INDEX series_premiered ON series (premiered) WHERE merged_into IS NULL;
INSERT OR IGNORE INTO catalog_meta (key, value) VALUES ('revision', '0');
