"""Approximate entropy of item rows (rsir_jax.data.regularity) against hand-computed cases."""

import math

import numpy as np
import pytest

from rsir_jax.data import regularity


def test_one_row_is_pincus_apen_with_exact_matching():
  """Pincus's worked example (the series 85, 80, 89 repeated 17 times, m = 2, r = 3, where
  r = 3 matches only equal values): 50 windows of 2 items occur 17, 17 and 16 times, 49 of 3
  items 17, 16 and 16 times. Its published magnitude is 1.0997e-5; the sign is Phi(2) -
  Phi(3)'s, below 0 for this periodic series."""
  row = np.array([85, 80, 89] * 17)
  phi2 = (17 * math.log(17 / 50) * 2 + 16 * math.log(16 / 50)) / 50
  phi3 = (17 * math.log(17 / 49) + 16 * math.log(16 / 49) * 2) / 49
  got = regularity.approximate_entropy([row], m=2)
  assert got == pytest.approx(phi2 - phi3, abs=1e-12)
  assert abs(got) == pytest.approx(1.0997e-5, rel=1e-3)


def test_windows_are_pooled_over_rows_and_never_cross_them():
  """Rows [1, 2, 3] and [1, 2, 4], m = 1: single items 1, 2 twice and 3, 4 once (6 windows);
  pairs (1, 2) twice, (2, 3) and (2, 4) once (4 windows; no (3, 1) across the rows)."""
  rows = [np.array([1, 2, 3]), np.array([1, 2, 4])]
  phi1 = 2 * (2 / 6) * math.log(2 / 6) + 2 * (1 / 6) * math.log(1 / 6)
  phi2 = (2 / 4) * math.log(2 / 4) + 2 * (1 / 4) * math.log(1 / 4)
  assert regularity.approximate_entropy(rows, m=1) == pytest.approx(phi1 - phi2, abs=1e-12)
  joined = regularity.approximate_entropy([np.concatenate(rows)], m=1)
  assert joined != pytest.approx(phi1 - phi2)


def test_repeated_patterns_lower_it_and_short_data_gives_none():
  """Rows that repeat one transition are more regular than rows whose item after a context
  varies; with no row longer than m there is nothing to measure."""
  regular = [np.array([1, 2, 3])] * 4
  varied = [np.array([1, 2, 3]), np.array([1, 3, 2]), np.array([2, 1, 3]),
            np.array([3, 1, 2])]
  assert regularity.approximate_entropy(regular, 1) < regularity.approximate_entropy(varied, 1)
  assert regularity.approximate_entropy([np.array([5, 6])], m=2) is None
  assert regularity.approximate_entropy([], m=1) is None
  with pytest.raises(ValueError, match="m >= 1"):
    regularity.approximate_entropy(regular, m=0)


def test_data_regularity_has_every_rows_and_the_synthetic_ones_alone():
  real, synthetic = [np.array([1, 2, 3])], [np.array([1, 2]), np.array([5, 6])]
  got = regularity.data_regularity(real, synthetic)
  assert got["apen_m1"] == pytest.approx(regularity.approximate_entropy(real + synthetic, 1))
  assert got["synthetic_apen_m1"] == pytest.approx(regularity.approximate_entropy(synthetic, 1))
  assert got["synthetic_apen_m2"] is None  # no synthetic row has 3 items
  assert regularity.data_regularity(real, [])["synthetic_apen_m1"] is None
