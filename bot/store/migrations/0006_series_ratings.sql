-- Step 10: a series card reads its ratings from aggregates kept in step with every write, so a
-- series with 10,000 impressions costs two indexed reads of a few rows, not a scan of 10,000.
--
-- series_reviewers: each reviewer's latest published impression of a series in a server (what the
-- ratings table shows and what the averages count). series_ratings: per server and series, the
-- reviewer count and, per category, how many scored it and the sum of their scores.
--
-- Triggers on `impressions` keep both up to date in the same transaction as the write, whatever the
-- write is (post, edit, delete, hide, restore, approve, reject, feature, merge, restore from an
-- export, bulk load), so no write path can forget them.

CREATE TABLE series_reviewers (
    guild_id      INTEGER NOT NULL,
    series_id     INTEGER NOT NULL,
    author_id     INTEGER NOT NULL,
    impression_id INTEGER NOT NULL,
    featured      INTEGER NOT NULL,
    score_overall          INTEGER,
    score_art              INTEGER,
    score_animation        INTEGER,
    score_character_design INTEGER,
    score_music            INTEGER,
    score_series_story     INTEGER,
    score_episode_story    INTEGER,
    PRIMARY KEY (guild_id, series_id, author_id)
) WITHOUT ROWID;
CREATE INDEX series_reviewers_shown ON series_reviewers (guild_id, series_id, featured DESC, impression_id DESC);

CREATE TABLE series_ratings (
    guild_id  INTEGER NOT NULL,
    series_id INTEGER NOT NULL,
    reviewers INTEGER NOT NULL DEFAULT 0,
    n_overall            INTEGER NOT NULL DEFAULT 0,
    sum_overall          INTEGER NOT NULL DEFAULT 0,
    n_art                INTEGER NOT NULL DEFAULT 0,
    sum_art              INTEGER NOT NULL DEFAULT 0,
    n_animation          INTEGER NOT NULL DEFAULT 0,
    sum_animation        INTEGER NOT NULL DEFAULT 0,
    n_character_design   INTEGER NOT NULL DEFAULT 0,
    sum_character_design INTEGER NOT NULL DEFAULT 0,
    n_music              INTEGER NOT NULL DEFAULT 0,
    sum_music            INTEGER NOT NULL DEFAULT 0,
    n_series_story       INTEGER NOT NULL DEFAULT 0,
    sum_series_story     INTEGER NOT NULL DEFAULT 0,
    n_episode_story      INTEGER NOT NULL DEFAULT 0,
    sum_episode_story    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, series_id)
) WITHOUT ROWID;

-- The rebuild: what the triggers would have written, from the impressions already stored.
INSERT INTO series_reviewers (guild_id, series_id, author_id, impression_id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story)
SELECT guild_id, series_id, author_id, max(id), featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story
  FROM impressions WHERE status = 'published' GROUP BY guild_id, series_id, author_id;

INSERT INTO series_ratings
SELECT guild_id, series_id, count(*),
       count(score_overall), coalesce(sum(score_overall), 0),
       count(score_art), coalesce(sum(score_art), 0),
       count(score_animation), coalesce(sum(score_animation), 0),
       count(score_character_design), coalesce(sum(score_character_design), 0),
       count(score_music), coalesce(sum(score_music), 0),
       count(score_series_story), coalesce(sum(score_series_story), 0),
       count(score_episode_story), coalesce(sum(score_episode_story), 0)
  FROM series_reviewers GROUP BY guild_id, series_id;

-- series_reviewers → series_ratings: add a row's scores when it arrives, take them away when it goes.
CREATE TRIGGER series_reviewers_added AFTER INSERT ON series_reviewers BEGIN
    -- No conflict clause: an outer INSERT OR REPLACE would impose REPLACE here and zero the sums.
    INSERT INTO series_ratings (guild_id, series_id)
    SELECT NEW.guild_id, NEW.series_id
     WHERE NOT EXISTS (SELECT 1 FROM series_ratings WHERE guild_id = NEW.guild_id AND series_id = NEW.series_id);
    UPDATE series_ratings SET
        reviewers = reviewers + 1,
        n_overall = n_overall + (NEW.score_overall IS NOT NULL),
        sum_overall = sum_overall + coalesce(NEW.score_overall, 0),
        n_art = n_art + (NEW.score_art IS NOT NULL),
        sum_art = sum_art + coalesce(NEW.score_art, 0),
        n_animation = n_animation + (NEW.score_animation IS NOT NULL),
        sum_animation = sum_animation + coalesce(NEW.score_animation, 0),
        n_character_design = n_character_design + (NEW.score_character_design IS NOT NULL),
        sum_character_design = sum_character_design + coalesce(NEW.score_character_design, 0),
        n_music = n_music + (NEW.score_music IS NOT NULL),
        sum_music = sum_music + coalesce(NEW.score_music, 0),
        n_series_story = n_series_story + (NEW.score_series_story IS NOT NULL),
        sum_series_story = sum_series_story + coalesce(NEW.score_series_story, 0),
        n_episode_story = n_episode_story + (NEW.score_episode_story IS NOT NULL),
        sum_episode_story = sum_episode_story + coalesce(NEW.score_episode_story, 0)
     WHERE guild_id = NEW.guild_id AND series_id = NEW.series_id;
END;

CREATE TRIGGER series_reviewers_removed AFTER DELETE ON series_reviewers BEGIN
    UPDATE series_ratings SET
        reviewers = reviewers - 1,
        n_overall = n_overall - (OLD.score_overall IS NOT NULL),
        sum_overall = sum_overall - coalesce(OLD.score_overall, 0),
        n_art = n_art - (OLD.score_art IS NOT NULL),
        sum_art = sum_art - coalesce(OLD.score_art, 0),
        n_animation = n_animation - (OLD.score_animation IS NOT NULL),
        sum_animation = sum_animation - coalesce(OLD.score_animation, 0),
        n_character_design = n_character_design - (OLD.score_character_design IS NOT NULL),
        sum_character_design = sum_character_design - coalesce(OLD.score_character_design, 0),
        n_music = n_music - (OLD.score_music IS NOT NULL),
        sum_music = sum_music - coalesce(OLD.score_music, 0),
        n_series_story = n_series_story - (OLD.score_series_story IS NOT NULL),
        sum_series_story = sum_series_story - coalesce(OLD.score_series_story, 0),
        n_episode_story = n_episode_story - (OLD.score_episode_story IS NOT NULL),
        sum_episode_story = sum_episode_story - coalesce(OLD.score_episode_story, 0)
     WHERE guild_id = OLD.guild_id AND series_id = OLD.series_id;
END;

-- impressions → series_reviewers: after any change that can move a reviewer's latest published
-- impression, that reviewer's row is read again (from impressions_reviewer_latest, one index seek).
CREATE TRIGGER impressions_rate_insert AFTER INSERT ON impressions WHEN NEW.status = 'published' BEGIN
    DELETE FROM series_reviewers
     WHERE guild_id = NEW.guild_id AND series_id = NEW.series_id AND author_id = NEW.author_id;
    INSERT INTO series_reviewers (guild_id, series_id, author_id, impression_id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story)
    SELECT guild_id, series_id, author_id, id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story FROM impressions
     WHERE guild_id = NEW.guild_id AND series_id = NEW.series_id AND author_id = NEW.author_id
       AND status = 'published'
     ORDER BY id DESC LIMIT 1;
END;

CREATE TRIGGER impressions_rate_delete AFTER DELETE ON impressions WHEN OLD.status = 'published' BEGIN
    DELETE FROM series_reviewers
     WHERE guild_id = OLD.guild_id AND series_id = OLD.series_id AND author_id = OLD.author_id;
    INSERT INTO series_reviewers (guild_id, series_id, author_id, impression_id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story)
    SELECT guild_id, series_id, author_id, id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story FROM impressions
     WHERE guild_id = OLD.guild_id AND series_id = OLD.series_id AND author_id = OLD.author_id
       AND status = 'published'
     ORDER BY id DESC LIMIT 1;
END;

CREATE TRIGGER impressions_rate_update
AFTER UPDATE OF guild_id, series_id, author_id, status, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story ON impressions
WHEN OLD.status = 'published' OR NEW.status = 'published' BEGIN
    DELETE FROM series_reviewers
     WHERE guild_id = OLD.guild_id AND series_id = OLD.series_id AND author_id = OLD.author_id;
    INSERT INTO series_reviewers (guild_id, series_id, author_id, impression_id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story)
    SELECT guild_id, series_id, author_id, id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story FROM impressions
     WHERE guild_id = OLD.guild_id AND series_id = OLD.series_id AND author_id = OLD.author_id
       AND status = 'published'
     ORDER BY id DESC LIMIT 1;
    DELETE FROM series_reviewers
     WHERE guild_id = NEW.guild_id AND series_id = NEW.series_id AND author_id = NEW.author_id;
    INSERT INTO series_reviewers (guild_id, series_id, author_id, impression_id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story)
    SELECT guild_id, series_id, author_id, id, featured, score_overall, score_art, score_animation, score_character_design, score_music, score_series_story, score_episode_story FROM impressions
     WHERE guild_id = NEW.guild_id AND series_id = NEW.series_id AND author_id = NEW.author_id
       AND status = 'published'
     ORDER BY id DESC LIMIT 1;
END;
