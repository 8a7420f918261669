-- Step 3: each reviewer's latest impression of a series is found from the index alone.
CREATE INDEX impressions_reviewer_latest ON impressions (guild_id, series_id, status, author_id, id);
