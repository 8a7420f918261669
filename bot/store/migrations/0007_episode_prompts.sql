-- Step 11: episodes as they air. A series' broadcast rule (bangumi-data's ISO 8601 repeating interval,
-- "R/2024-01-10T16:25:00.000Z/P7D") and its last broadcast; the series a server watches, and each
-- episode prompt posted, once per server, series and episode, ever.
ALTER TABLE series ADD COLUMN broadcast TEXT;
ALTER TABLE series ADD COLUMN broadcast_end TEXT;

CREATE TABLE watches (
    guild_id        INTEGER NOT NULL,
    series_id       INTEGER NOT NULL REFERENCES series (id),
    channel_id      INTEGER NOT NULL,
    added_by        INTEGER NOT NULL,
    added_at        TEXT    NOT NULL,
    disabled_reason TEXT,  -- set when the bot could not post there (channel gone, permission missing)
    PRIMARY KEY (guild_id, series_id)
);

CREATE TABLE episode_prompts (
    guild_id   INTEGER NOT NULL,
    series_id  INTEGER NOT NULL REFERENCES series (id),
    episode    INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER,  -- NULL until the message is posted (the row claims the prompt first)
    posted_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, series_id, episode)
);
