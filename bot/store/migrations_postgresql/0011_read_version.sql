-- SQLite's migration 0011 under the same number: the same table, so `python -m bot migrate-to` copies its
-- row like any other (no row is made here: the copy brings it). Nothing moves it on PostgreSQL: the bot
-- remembers no read there (other bots write to the same server), so it needs no triggers.
CREATE TABLE read_version (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
