-- Step 8: small facts the bot keeps about itself, such as the hash of the command list it last
-- published, so a start-up publishes commands only when they changed.
CREATE TABLE bot_state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
