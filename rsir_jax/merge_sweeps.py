"""`python -m rsir_jax.merge_sweeps`, the command's name before the package had layers (quoted in
run files and older notes): the same as `python -m rsir_jax.tools.merge_sweeps`."""

import sys

from rsir_jax.tools.merge_sweeps import main

if __name__ == "__main__":
  sys.exit(main())
