"""The public read-only site: a second front end over the same services (no SQL here)."""
