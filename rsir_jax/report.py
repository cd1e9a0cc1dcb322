"""`python -m rsir_jax.report`, the command's name before the package had layers (quoted in run
files and older notes): the same as `python -m rsir_jax.tools.report`."""

import sys

from rsir_jax.tools.report import main

if __name__ == "__main__":
  sys.exit(main())
