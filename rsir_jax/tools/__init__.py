"""Programs around the library: the command line, the markdown report, merging parts of a
grid, evaluating finished trainings as one ensemble.

  cli            what launch.py runs: one experiment or a sweep, errors as one line
  report         python -m rsir_jax.tools.report docs/results.md README.md
  merge_sweeps   python -m rsir_jax.tools.merge_sweeps --into=runs/X PART ...
  ensemble_eval  python -m rsir_jax.tools.ensemble_eval --ensemble=NAME:FOLDER:FOLDER ...
"""
