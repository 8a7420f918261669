-- Step 10: the bot remembers a card's and an impression's reads on its event loop until what they read
-- changes (bot/store/database.py). One counter, moved by trigger on every change to a table they read,
-- in the same transaction, so no write path and no other process can forget it; writes elsewhere (a
-- public card recorded, the audit log) leave remembered reads alone. The bot remembers a read only when
-- every table it reads has the three triggers named `<table>_read_version_<event>`.
CREATE TABLE read_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO read_version (id, version) VALUES (1, 0);

CREATE TRIGGER series_read_version_insert AFTER INSERT ON series BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_read_version_update AFTER UPDATE ON series BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_read_version_delete AFTER DELETE ON series BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_sources_read_version_insert AFTER INSERT ON series_sources BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_sources_read_version_update AFTER UPDATE ON series_sources BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_sources_read_version_delete AFTER DELETE ON series_sources BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER catalog_meta_read_version_insert AFTER INSERT ON catalog_meta BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER catalog_meta_read_version_update AFTER UPDATE ON catalog_meta BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER catalog_meta_read_version_delete AFTER DELETE ON catalog_meta BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER impressions_read_version_insert AFTER INSERT ON impressions BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER impressions_read_version_update AFTER UPDATE ON impressions BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER impressions_read_version_delete AFTER DELETE ON impressions BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_reviewers_read_version_insert AFTER INSERT ON series_reviewers BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_reviewers_read_version_update AFTER UPDATE ON series_reviewers BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_reviewers_read_version_delete AFTER DELETE ON series_reviewers BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_ratings_read_version_insert AFTER INSERT ON series_ratings BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_ratings_read_version_update AFTER UPDATE ON series_ratings BEGIN
    UPDATE read_version SET version = version + 1;
END;

CREATE TRIGGER series_ratings_read_version_delete AFTER DELETE ON series_ratings BEGIN
    UPDATE read_version SET version = version + 1;
END;
