-- Step 13: a server's reviews on the web, when its moderators publish them. public_slug is the path its
-- pages live under (NULL: not published). A member may ask not to be named on the web.
ALTER TABLE guild_settings ADD COLUMN public_slug TEXT;
CREATE UNIQUE INDEX guild_settings_slug ON guild_settings (public_slug) WHERE public_slug IS NOT NULL;

CREATE TABLE web_privacy (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    set_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
