"""Configs: every field with its default and meaning, the training setups and presets config
files compose, the experiment families several config files share, and the one helper that
walks a config by dotted path. Imports neither JAX nor any model.

  fields    get_base_config: every field, its default and its meaning
  presets   strong_baseline, paper_setup, authors_protocol, recbole_setup; apply_preset;
            parse_arg (a config file's `path:key=value,...` argument)
  families  Table 2 (paper_rsir, paper_sweep), the augmentation baselines, beyond the paper
  paths     get, apply_overrides, flat: fields by dotted path
"""

from rsir_jax.config.families import (
                                      AUGMENT_BACKBONES,
                                      AUGMENT_GENERATORS,
                                      AUGMENT_MATCH_BY,
                                      BEYOND_SEEDS,
                                      BEYOND_VARIANTS,
                                      PAPER_MAX_ROWS_FACTOR,
                                      PAPER_PRESETS,
                                      PAPER_TABLE2,
                                      PAPER_TAU,
                                      augment_baselines,
                                      augment_baselines_sweep,
                                      beyond_rsir,
                                      beyond_rsir_sweep,
                                      paper_rsir,
                                      paper_sweep,
                                      paper_table2,
)
from rsir_jax.config.fields import get_base_config
from rsir_jax.config.presets import (
                                      apply_preset,
                                      authors_protocol,
                                      paper_setup,
                                      parse_arg,
                                      recbole_setup,
                                      strong_baseline,
)

__all__ = ["AUGMENT_BACKBONES", "AUGMENT_GENERATORS", "AUGMENT_MATCH_BY", "BEYOND_SEEDS",
           "BEYOND_VARIANTS", "PAPER_MAX_ROWS_FACTOR", "PAPER_PRESETS", "PAPER_TABLE2",
           "PAPER_TAU",
           "apply_preset", "augment_baselines", "augment_baselines_sweep", "authors_protocol",
           "beyond_rsir", "beyond_rsir_sweep", "get_base_config", "paper_rsir", "paper_setup",
           "parse_arg",
           "paper_sweep", "paper_table2", "recbole_setup", "strong_baseline"]
