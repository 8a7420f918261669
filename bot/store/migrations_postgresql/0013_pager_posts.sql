-- As SQLite's 0013: a public page of `/series impressions` is recorded like the bot's other public posts.
ALTER TABLE impression_posts DROP CONSTRAINT IF EXISTS impression_posts_kind_check;
ALTER TABLE impression_posts ADD CONSTRAINT impression_posts_kind_check
    CHECK (kind IN ('card', 'announcement', 'page'));
