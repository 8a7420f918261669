-- The whole schema of DESIGN.md; later steps fill these tables in rather than rewrite them.
-- Times are ISO-8601 UTC strings; lists and link tables are JSON text.

CREATE TABLE series (
    id               INTEGER PRIMARY KEY,
    title            TEXT    NOT NULL,
    title_english    TEXT,
    title_japanese   TEXT,
    synonyms         TEXT    NOT NULL DEFAULT '[]',
    format           TEXT,
    episodes         INTEGER CHECK (episodes IS NULL OR episodes >= 0),
    status           TEXT,
    premiered        TEXT,
    season           TEXT,
    year             INTEGER,
    studios          TEXT    NOT NULL DEFAULT '[]',
    keywords         TEXT    NOT NULL DEFAULT '[]',
    notables         TEXT    NOT NULL DEFAULT '[]',
    synopsis         TEXT,
    synopsis_credit  TEXT,
    links            TEXT    NOT NULL DEFAULT '[]',
    official_site    TEXT,
    picture          TEXT,
    anilist_id       INTEGER,
    mal_id           INTEGER,
    curated_fields   TEXT    NOT NULL DEFAULT '[]',
    merged_into      INTEGER REFERENCES series (id),
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
CREATE INDEX series_anilist ON series (anilist_id) WHERE anilist_id IS NOT NULL;
CREATE INDEX series_mal ON series (mal_id) WHERE mal_id IS NOT NULL;

-- anime-offline-database identifies an entry by its source URLs; so do we.
CREATE TABLE series_sources (
    url        TEXT    PRIMARY KEY,
    series_id  INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE
);
CREATE INDEX series_sources_series ON series_sources (series_id);

-- Every name a series is known by, one row each, indexed for lookup.
CREATE TABLE series_names (
    id         INTEGER PRIMARY KEY,
    series_id  INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('title', 'english', 'japanese', 'synonym'))
);
CREATE INDEX series_names_series ON series_names (series_id);

CREATE VIRTUAL TABLE series_names_fts USING fts5 (
    name, content = 'series_names', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER series_names_ai AFTER INSERT ON series_names BEGIN
    INSERT INTO series_names_fts (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER series_names_ad AFTER DELETE ON series_names BEGIN
    INSERT INTO series_names_fts (series_names_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER series_names_au AFTER UPDATE ON series_names BEGIN
    INSERT INTO series_names_fts (series_names_fts, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO series_names_fts (rowid, name) VALUES (new.id, new.name);
END;

-- Facts about the loaded catalog: dataset licence notices, last import, and so on.
CREATE TABLE catalog_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE impressions (
    id                     INTEGER PRIMARY KEY,
    guild_id               INTEGER NOT NULL,
    series_id              INTEGER NOT NULL REFERENCES series (id),
    author_id              INTEGER NOT NULL,
    author_name            TEXT    NOT NULL,
    scope                  TEXT    NOT NULL CHECK (scope IN ('episodes', 'completed', 'dropped')),
    episodes_watched       INTEGER CHECK (episodes_watched IS NULL OR episodes_watched >= 1),
    text                   TEXT    NOT NULL,
    spoiler                INTEGER NOT NULL DEFAULT 0,
    score_overall          INTEGER CHECK (score_overall BETWEEN 1 AND 10),
    score_art              INTEGER CHECK (score_art BETWEEN 1 AND 10),
    score_animation        INTEGER CHECK (score_animation BETWEEN 1 AND 10),
    score_character_design INTEGER CHECK (score_character_design BETWEEN 1 AND 10),
    score_music            INTEGER CHECK (score_music BETWEEN 1 AND 10),
    score_series_story     INTEGER CHECK (score_series_story BETWEEN 1 AND 10),
    score_episode_story    INTEGER CHECK (score_episode_story BETWEEN 1 AND 10),
    status                 TEXT    NOT NULL DEFAULT 'published'
                           CHECK (status IN ('pending', 'published', 'hidden', 'rejected', 'removed')),
    featured               INTEGER NOT NULL DEFAULT 0,
    -- The interaction that created it: a modal submitted twice stores one impression.
    submission_key         TEXT,
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL
);
CREATE UNIQUE INDEX impressions_submission ON impressions (submission_key) WHERE submission_key IS NOT NULL;
CREATE INDEX impressions_series ON impressions (guild_id, series_id, status, created_at);
CREATE INDEX impressions_author ON impressions (guild_id, author_id, created_at);

CREATE TABLE impression_revisions (
    id                     INTEGER PRIMARY KEY,
    impression_id          INTEGER NOT NULL REFERENCES impressions (id) ON DELETE CASCADE,
    edited_by              INTEGER NOT NULL,
    scope                  TEXT    NOT NULL,
    episodes_watched       INTEGER,
    text                   TEXT    NOT NULL,
    spoiler                INTEGER NOT NULL,
    score_overall          INTEGER,
    score_art              INTEGER,
    score_animation        INTEGER,
    score_character_design INTEGER,
    score_music            INTEGER,
    score_series_story     INTEGER,
    score_episode_story    INTEGER,
    status                 TEXT    NOT NULL,
    created_at             TEXT    NOT NULL
);
CREATE INDEX impression_revisions_impression ON impression_revisions (impression_id, created_at);

CREATE TABLE guild_settings (
    guild_id              INTEGER PRIMARY KEY,
    approval_required     INTEGER NOT NULL DEFAULT 0,
    announce_channel_id   INTEGER,
    queue_channel_id      INTEGER,
    mod_role_id           INTEGER,
    updated_at            TEXT    NOT NULL
);

CREATE TABLE reviewer_bans (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    banned_by   INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE reports (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    impression_id  INTEGER NOT NULL REFERENCES impressions (id) ON DELETE CASCADE,
    reporter_id    INTEGER NOT NULL,
    reason         TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
    resolved_by    INTEGER,
    resolved_at    TEXT,
    created_at     TEXT    NOT NULL,
    UNIQUE (impression_id, reporter_id)
);
CREATE INDEX reports_open ON reports (guild_id, status, created_at);

-- guild_id is NULL for global actions (catalog curation).
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER,
    actor_id     INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    target_type  TEXT    NOT NULL,
    target_id    INTEGER NOT NULL,
    reason       TEXT,
    before       TEXT,
    after        TEXT,
    created_at   TEXT    NOT NULL
);
CREATE INDEX audit_log_guild ON audit_log (guild_id, created_at);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);

-- Messages for members that are delivered the next time they use the bot (e.g. "your impression was hidden").
CREATE TABLE member_notices (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    text          TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    delivered_at  TEXT
);
CREATE INDEX member_notices_pending ON member_notices (guild_id, user_id) WHERE delivered_at IS NULL;
