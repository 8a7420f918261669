"""A Discord bot for community anime reviews."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("anime-impressions-bot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
