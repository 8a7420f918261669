-- Text typed from inside a word ("rouge" in "metallicrouge") is found by the lookup index in memory
-- (bot/services/title_index.py, the words' ends): the FTS5 trigram index is read by nothing now, and
-- every catalog write kept it up to date.
DROP TRIGGER series_names_ai;
DROP TRIGGER series_names_ad;
DROP TRIGGER series_names_au;
DROP TABLE series_names_fts;
