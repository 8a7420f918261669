"""Errors whose message is written for the member who caused them.

Services raise these; the single tree error handler shows the message ephemerally
and logs nothing, because nothing went wrong on our side.
"""


class UserFacingError(Exception):
    """Base class: `str(error)` is shown to the member as is."""


class NotFound(UserFacingError):
    pass


class PermissionDenied(UserFacingError):
    pass


class InvalidInput(UserFacingError):
    pass
