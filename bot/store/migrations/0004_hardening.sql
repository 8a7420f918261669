-- Step 7: edits that wait for approval, the bot's own public posts of an impression, a posting limit.

-- An edit of a published impression, held for a moderator while approval is on: the approved
-- version stays visible and counted until the edit is approved.
CREATE TABLE impression_edits (
    id                     INTEGER PRIMARY KEY,
    guild_id               INTEGER NOT NULL,
    impression_id          INTEGER NOT NULL REFERENCES impressions (id) ON DELETE CASCADE,
    edited_by              INTEGER NOT NULL,
    scope                  TEXT    NOT NULL CHECK (scope IN ('episodes', 'completed', 'dropped')),
    episodes_watched       INTEGER CHECK (episodes_watched IS NULL OR episodes_watched >= 1),
    text                   TEXT    NOT NULL,
    spoiler                INTEGER NOT NULL,
    score_overall          INTEGER CHECK (score_overall BETWEEN 1 AND 10),
    score_art              INTEGER CHECK (score_art BETWEEN 1 AND 10),
    score_animation        INTEGER CHECK (score_animation BETWEEN 1 AND 10),
    score_character_design INTEGER CHECK (score_character_design BETWEEN 1 AND 10),
    score_music            INTEGER CHECK (score_music BETWEEN 1 AND 10),
    score_series_story     INTEGER CHECK (score_series_story BETWEEN 1 AND 10),
    score_episode_story    INTEGER CHECK (score_episode_story BETWEEN 1 AND 10),
    status                 TEXT    NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
    created_at             TEXT    NOT NULL,
    decided_by             INTEGER,
    decided_at             TEXT
);
CREATE INDEX impression_edits_pending ON impression_edits (guild_id, status, id);
CREATE INDEX impression_edits_impression ON impression_edits (impression_id, status);

-- Messages the bot posted publicly showing an impression (its card, an announcement), so that
-- hiding, deleting or restoring the impression can edit them.
CREATE TABLE impression_posts (
    message_id     INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    impression_id  INTEGER NOT NULL REFERENCES impressions (id) ON DELETE CASCADE,
    channel_id     INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('card', 'announcement')),
    created_at     TEXT    NOT NULL
);
CREATE INDEX impression_posts_impression ON impression_posts (impression_id);

-- Impressions a member may post per hour in a server; NULL means the bot's default, 0 no limit.
ALTER TABLE guild_settings ADD COLUMN post_limit_per_hour INTEGER CHECK (post_limit_per_hour >= 0);
