"""RSIR against the data-augmentation baselines, on every backbone (Amazon Beauty, the paper's
training setup: sampled softmax with 256 shared negatives on sequence rows,
rsir_jax.config.paper_setup). For each backbone (sasrec, cl4srec, gru4rec, hstu) and seed
(0, 1): round 0 is trained once (the base), then one round of each generator adds rows and a
model is trained from scratch on the result:

  rsir      the model's trajectories with fidelity control (tau 20, m 5, p 0.5);
  reorder   Reordering (a random span of 60% of the row shuffled), 1 copy per row;
  insert    Insertion (before 40% of the items, the most similar item by the round-0
            model's embeddings), 1 copy per row;

the two heuristics cut to the number of rows RSIR added for that backbone and seed
(rsir.match_rows), and again to the number of interactions it added (rsir.match_by: RSIR's
rows are shorter than the heuristics' copies, so equal rows are not equal data). Everything
else is equal. A last point per backbone and seed trains RSIR's round 1 again from its own
initialisation (rsir.reseed_rounds), for the ensembles of docs/results.md, section 13.

  python launch.py --config=configs/augment_baselines_beauty.py --sweep=config \\
      --workdir=runs/augment_baselines_beauty
  python launch.py --config=configs/augment_baselines_beauty.py:smoke --sweep=config
  ... --sweep_only='seed=1;model.name=sasrec'       # a part of the grid

Presets: '' (above: 48 points, 56 trainings; a SASRec training takes 5 to 10 minutes on 2
cores, a GRU4Rec one about 12 (2 s epochs, but 150 of them), a CL4SRec one about 40: the
grid is several hours); 'smoke' (a small model for 3 epochs, seed 0 only).

Result so far (seeds 0 and 1, mean test Recall@10 / NDCG@10). SASRec: base 0.0716 / 0.0412;
+ RSIR 0.0749 / 0.0422; at RSIR's rows, + Reordering 0.0783 / 0.0442 and + Insertion 0.0730 /
0.0422 (with 53 to 63% more interactions); at RSIR's interactions, + Reordering 0.0755 /
0.0426 and + Insertion 0.0729 / 0.0424: level with RSIR within the seed spread. HSTU: base
0.0748 / 0.0423; + RSIR 0.0787 / 0.0438; + Reordering 0.0762 / 0.0425 and + Insertion
0.0764 / 0.0434 at RSIR's rows, 0.0753 / 0.0418 and 0.0775 / 0.0446 at its interactions.
GRU4Rec: base 0.0467 / 0.0237; + RSIR 0.0503 / 0.0255; + Reordering 0.0445 / 0.0232 and
+ Insertion 0.0497 / 0.0258 at RSIR's rows, 0.0428 / 0.0212 and 0.0478 / 0.0248 at its
interactions (RSIR level with Insertion on both backbones, ahead of Reordering). CL4SRec,
seeds 0 and 1 (on a GPU, section 12b): base 0.0738 / 0.0420; + RSIR 0.0700 / 0.0389 (lower
on both seeds); at RSIR's rows, + Reordering 0.0728 / 0.0401 and + Insertion (seed 1 only)
0.0724 / 0.0405 against that seed's 0.0708 / 0.0406: no generator helps it. Tables:
docs/results.md, sections 12 and 13 (generated from the sweep's files: python -m
rsir_jax.tools.report).
"""

from rsir_jax.config import augment_baselines, augment_baselines_sweep, get_base_config


def get_config(preset: str = ""):
  return augment_baselines(get_base_config(), "beauty", preset)


def get_sweep(preset: str = ""):
  """See rsir_jax.config.augment_baselines_sweep; the smoke preset runs seed 0 only."""
  return augment_baselines_sweep((0,) if preset == "smoke" else (0, 1))
