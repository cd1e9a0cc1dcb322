"""SASRec on Sports_and_Outdoors (35,598 users, 18,357 items): the strong baseline, full
softmax CE on prefix rows trained fast (rsir_jax.config.strong_baseline), full ranking,
history masked.

  python launch.py --config=configs/sasrec_sports.py
  python launch.py --config=configs/sasrec_sports.py --sweep=config   # seeds 0 and 1
  python launch.py --config=configs/sasrec_sports.py:smoke

Result (docs/results.md, end of section 11; `python launch.py --config=configs/sasrec_sports.py
--sweep=config --workdir=runs/sasrec_sports`, seeds 0 and 1): test Recall@10 / NDCG@10
0.0516 +- 0.0005 / 0.0307 +- 0.0005, best validation at epochs 21 and 15, an epoch 72-111 s
of training beside another process on 2 cores (the first run, files lost: 0.0510 / 0.0305).
That is under the best published SASRec on this file (sampled softmax, eSASRec's benchmark:
0.0569 / 0.0314) and above our sequence rows (configs/sasrec_losses.py: 0.0443 / 0.0262). The bar's own shape
(1 block, 1 head, dropout 0.2) does worse here, with full CE (0.0460 / 0.0272, seed 0) and with
its 256-negative sampled softmax (0.0421 / 0.0240): end of section 11.
"""

from rsir_jax.config import apply_preset, get_base_config, strong_baseline


def get_config(preset: str = ""):
  c = get_base_config()
  c.data.name = "sports"
  return apply_preset(strong_baseline(c), preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
