-- Step 11, second part. A server's own airing schedule for a series (set by its moderators when the
-- catalog has none or has it wrong; it overrides the catalog's rule for that server only, since catalog
-- facts are shared by every server). Threads and live counts under episode prompts. AniList's next
-- airing episode and the names and cover it knows.
CREATE TABLE guild_schedules (
    guild_id  INTEGER NOT NULL,
    series_id INTEGER NOT NULL REFERENCES series (id),
    broadcast TEXT    NOT NULL,  -- the same ISO 8601 repeating interval as series.broadcast
    episodes  INTEGER CHECK (episodes > 0),
    first     INTEGER NOT NULL DEFAULT 1,  -- episodes before this one aired before the rule began
    set_by    INTEGER NOT NULL,
    set_at    TEXT    NOT NULL,
    PRIMARY KEY (guild_id, series_id)
);

ALTER TABLE guild_settings ADD COLUMN episode_threads INTEGER NOT NULL DEFAULT 0;

ALTER TABLE episode_prompts ADD COLUMN aired_at TEXT;  -- when the episode aired (the prompt says so)
ALTER TABLE episode_prompts ADD COLUMN thread_id INTEGER;
ALTER TABLE episode_prompts ADD COLUMN shown TEXT;  -- the count line the message shows now

CREATE INDEX impressions_episode ON impressions (guild_id, series_id, episodes_watched) WHERE status = 'published';

ALTER TABLE series ADD COLUMN next_episode INTEGER;
ALTER TABLE series ADD COLUMN next_episode_at TEXT;
