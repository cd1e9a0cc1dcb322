"""The errors a user can cause and fix (a bad config, bad data, a busy workdir, a full disk).

`launch.py` prints their message alone, without a traceback; any other exception is a bug
and keeps its traceback.
"""


class UserError(Exception):
  """Something the user can fix; the message says what and where."""


def shorten(text: str, limit: int = 40) -> str:
  """`text` with unprintable characters escaped, cut to about `limit` characters, for
  quoting tokens of an unknown (possibly binary) file in a message."""
  escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
  return escaped if len(escaped) <= limit else escaped[:limit] + f"... ({len(text)} characters)"
