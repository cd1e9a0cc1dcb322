"""`python -m rsir_jax.ensemble_eval`, the command's name before the package had layers (quoted in
run files and older notes): the same as `python -m rsir_jax.tools.ensemble_eval`."""

import sys

from rsir_jax.tools.ensemble_eval import main

if __name__ == "__main__":
  sys.exit(main())
