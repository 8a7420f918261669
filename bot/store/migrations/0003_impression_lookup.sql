-- Step 3: the ratings table of a series is read from this index alone. With max(id) per author,
-- SQLite takes the other columns from that same row, so each reviewer's latest scores need no
-- table access: a card with 10,000 impressions stays fast.
CREATE INDEX impressions_reviewer_latest ON impressions (
    guild_id, series_id, status, author_id, id, featured,
    score_overall, score_art, score_animation, score_character_design, score_music,
    score_series_story, score_episode_story
);
