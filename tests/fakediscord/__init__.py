"""A fake Discord for end-to-end tests: REST + gateway on 127.0.0.1, with Discord's limits enforced."""

from tests.fakediscord.driver import ADMINISTRATOR, MANAGE_GUILD, MANAGE_MESSAGES, PLAIN_PERMISSIONS, Member, Reply
from tests.fakediscord.server import FakeDiscord, FakeGuild

__all__ = [
    "ADMINISTRATOR",
    "MANAGE_GUILD",
    "MANAGE_MESSAGES",
    "PLAIN_PERMISSIONS",
    "FakeDiscord",
    "FakeGuild",
    "Member",
    "Reply",
]
