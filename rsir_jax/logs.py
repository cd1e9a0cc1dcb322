"""Terminal progress for command-line runs: the library logs through `logging.getLogger`
under the name "rsir_jax"; this shows those lines (and only those) on stderr."""

import logging
import sys


def show_progress(level: int = logging.INFO) -> None:
  """Prints rsir_jax's log lines as 'HH:MM:SS message' on stderr (idempotent)."""
  logger = logging.getLogger("rsir_jax")
  logger.setLevel(level)
  logger.propagate = False  # not through absl's root handler, which adds long prefixes
  if not any(getattr(h, "_rsir", False) for h in logger.handlers):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    handler._rsir = True
    logger.addHandler(handler)
