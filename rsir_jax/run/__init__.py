"""Running experiments: the setup resolved once from a config, the config check, the
resumable trainer, one experiment (a baseline or RSIR rounds), the RSIR round loop, sweeps.

  setup       everything a run computes with, resolved once before any compute
  check       the config check: one line naming the field, before any compute
  trainer     fit / restore_best: epochs, validation, early stopping, checkpoints
  experiment  one run in a locked workdir, its result files
  rounds      the RSIR loop: train, generate, augment, repeat (each phase resumable)
  round_training    a round's model: trained, fine-tuned or reused, then evaluated
  round_generation  a round's new rows, by the policy's generator, filters, cap and matching
  ensembles   the last rounds' models ranked together, evaluated or generating
  sweep       grids of runs in one folder, points sharing a round 0
"""
