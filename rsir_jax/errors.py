"""The errors a user can cause and fix (a bad config, bad data, a busy workdir, a full disk).

`launch.py` and the tools print their message alone (`fail`), without a traceback; any other
exception is a bug and keeps its traceback.
"""

import sys
from typing import NoReturn

EXIT_USER_ERROR = 2  # the exit status of a command stopped by a UserError


class UserError(Exception):
  """Something the user can fix; the message says what and where."""


class ConfigError(UserError, ValueError):
  """A config field holds an invalid value."""


def shorten(text: str, limit: int = 40) -> str:
  """`text` with unprintable characters escaped, cut to about `limit` characters, for
  quoting tokens of an unknown (possibly binary) file in a message."""
  escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
  return escaped if len(escaped) <= limit else escaped[:limit] + f"... ({len(text)} characters)"


def fail(message: str) -> NoReturn:
  """Prints 'error: <message>' and exits with EXIT_USER_ERROR."""
  print(f"error: {message}", file=sys.stderr)
  sys.exit(EXIT_USER_ERROR)
