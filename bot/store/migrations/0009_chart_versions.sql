-- Step 12: a chart is kept until what it draws changes. Each server's series gets a version that every
-- change to its impressions moves (in the same transaction, by trigger, so no write path can forget
-- it): a kept chart whose version still holds is served without reading its numbers again.
CREATE TABLE chart_versions (
    guild_id  INTEGER NOT NULL,
    series_id INTEGER NOT NULL,
    version   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, series_id)
) WITHOUT ROWID;

CREATE TRIGGER impressions_chart_insert AFTER INSERT ON impressions BEGIN
    INSERT INTO chart_versions (guild_id, series_id, version) VALUES (NEW.guild_id, NEW.series_id, 1)
        ON CONFLICT (guild_id, series_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER impressions_chart_delete AFTER DELETE ON impressions BEGIN
    INSERT INTO chart_versions (guild_id, series_id, version) VALUES (OLD.guild_id, OLD.series_id, 1)
        ON CONFLICT (guild_id, series_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER impressions_chart_update AFTER UPDATE ON impressions BEGIN
    INSERT INTO chart_versions (guild_id, series_id, version) VALUES (OLD.guild_id, OLD.series_id, 1)
        ON CONFLICT (guild_id, series_id) DO UPDATE SET version = version + 1;
    INSERT INTO chart_versions (guild_id, series_id, version) VALUES (NEW.guild_id, NEW.series_id, 1)
        ON CONFLICT (guild_id, series_id) DO UPDATE SET version = version + 1;
END;
