-- A public page of `/series impressions` shows one impression, so the bot records it like its other
-- public posts: a hide or delete then withdraws the page as it does the cards (it stayed readable until
-- someone turned it). A CHECK cannot be altered in SQLite: the table is copied into its new form.
CREATE TABLE impression_posts_new (
    message_id     INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    impression_id  INTEGER NOT NULL REFERENCES impressions (id) ON DELETE CASCADE,
    channel_id     INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('card', 'announcement', 'page')),
    created_at     TEXT    NOT NULL
);
INSERT INTO impression_posts_new (message_id, guild_id, impression_id, channel_id, kind, created_at)
    SELECT message_id, guild_id, impression_id, channel_id, kind, created_at FROM impression_posts;
DROP TABLE impression_posts;
ALTER TABLE impression_posts_new RENAME TO impression_posts;
CREATE INDEX impression_posts_impression ON impression_posts (impression_id);
