-- As SQLite's 0012: text inside a word is found by the lookup index in memory, so the trigram index on
-- series_names is read by nothing (the pg_trgm extension 0010 created stays: dropping it could fail for
-- a role that does not own it, and it costs nothing unused).
DROP INDEX IF EXISTS series_names_trigrams;
