"""Rules: who may do what, scopes, aggregates, moderation states. No SQL, no embeds."""
