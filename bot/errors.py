"""Errors whose message is written for the member who caused them.

Services raise these; the single tree error handler shows the message ephemerally
and logs nothing, because nothing went wrong on our side.

A message that repeats something a member, curator or dataset wrote (a typed title, a display
name) takes it as an argument, never formatted in: `InvalidInput("“{}” is not an id.", typed)`.
The render layer then passes each argument through the one sanitizer, so an error can never
carry a live link or mention, while the sentence itself may use our own markdown.
"""

from __future__ import annotations

from collections.abc import Callable


class UserFacingError(Exception):
    """Base class: `str(error)` is the sentence shown to the member (untrusted parts as typed)."""

    def __init__(self, message: str, *untrusted: object) -> None:
        self.template = message
        self.untrusted = tuple(str(value) for value in untrusted)
        super().__init__(message.format(*self.untrusted) if self.untrusted else message)

    def render(self, quote: Callable[[str], str]) -> str:
        """The sentence with every untrusted part passed through `quote`."""
        if not self.untrusted:
            return self.template
        return self.template.format(*(quote(value) for value in self.untrusted))


# Who may not: one sentence per level, the same from the declared check (bot/permissions.py) and from
# the service's own.
ONLY_MODERATORS = "Only moderators (Manage Messages or Manage Server in this server, or its mod role) can do that."
ONLY_CURATORS = "Only curators can change the catalog (the bot's owners, or moderators of a curator server)."
ONLY_OWNERS = "Only the bot's owners (OWNER_IDS) can do that."


class NotFound(UserFacingError):
    pass


class PermissionDenied(UserFacingError):
    pass


class InvalidInput(UserFacingError):
    pass


class NotReadyYet(UserFacingError):
    """Something the bot builds after a start is not there yet; the same command works in a moment."""


class EditConflict(UserFacingError):
    """Texts a curator changed in a form were changed by someone else since the form was shown."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        super().__init__("Someone else changed these texts since you opened the form; nothing was saved.")
        self.fields = fields
