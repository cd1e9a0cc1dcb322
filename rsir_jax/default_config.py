"""The default configuration every config file starts from, and its presets.

Fields (all overridable from the command line, e.g. `--config.train.loss=bce`):
  seed                  PRNG seed for initialisation, dropout, negatives and batch order.
  data.name             a named benchmark (beauty, sports, toys, yelp, lastfm), or '' to use
  data.path             a file of your own ('user item item ...' or 'user item' lines, .gz ok).
  data.format           auto | seq | pairs: how to read data.path.
  data.dir              where named datasets are looked for and cached (RSIR_DATA_DIR wins).
  data.base_url         where named datasets are downloaded from ('' = the public source).
  data.bucket_lengths   static sequence lengths batches are padded to (max_len is added; ()
                        = one shape, the full length: slower on a CPU, faster on a GPU).
  model.name            the backbone (rsir_jax/models): sasrec | cl4srec | gru4rec | hstu.
  model.*               its size: dim, num_layers, num_heads, ffn_mult (the authors': 2),
                        dropout, attn_dropout, max_len (the most recent items kept per
                        sequence); input_norm (LayerNorm on the input embeddings; the
                        authors': False), ffn_dropout (dropout inside the feed-forward; the
                        authors': True). gru4rec uses dim, num_layers, dropout and max_len
                        only; hstu all but ffn_mult, input_norm and ffn_dropout; cl4srec
                        SASRec's and cl_weight (lambda), cl_temperature and the rates of its
                        views' edits, cl_crop, cl_mask, cl_reorder (models/cl4srec.py).
  train.loss            ce (full softmax) | sampled (train.num_negatives uniform negatives) | bce.
  train.negatives       sampled softmax's negatives: shared (one draw for the whole batch) |
                        row (the authors': per position, from the items not in the row's
                        input, so a user's own items are never negatives on their own row) |
                        row_pool (the same rule per row, shared by its positions, taken from
                        one pool for the batch: each position's negatives as likely as under
                        row, at about the cost of shared; against row: docs/results.md).
  train.negatives_chunk how `row` negatives are computed, never what: positions per step of
                        a loop whose gathered vectors stay in cache (row_negatives.py); 0 =
                        every position at once; -1 = 32 on a CPU, 0 on a GPU or TPU. Results
                        agree to float rounding whatever the value.
  train.steps_per_call  train steps per dispatch (a lax.scan over up to this many
                        consecutive batches of one shape; fewer where the epoch's order
                        changes shape), so that a GPU or TPU is not bound by launches;
                        bit-identical to 1 on a CPU. 1 = one step per call.
  train.loss_norm       batch_mean (each batch's loss is the mean over its targets) |
                        per_target (every target weighs the same across batches; see
                        train_step.make_train_step).
  train.prefix_rows     False: one row per sequence, trained at every position | True: one
                        row per prefix, trained at its last position (RecBole's layout: each
                        target gets its own dropout draw; the cost per epoch against sequence
                        rows: docs/results.md, section 2).
  train.lr_schedule     constant | cosine | linear: the learning rate's decay, reaching 0 at
                        train.max_epochs (fractional epochs, so the same whatever the number
                        of rows); train.warmup_epochs (0 = none) ramps it up from 0 first.
  train.lr_decay_patience
                        > 0: every this many epochs in a row without a better validation
                        NDCG@20, the learning rate is multiplied by train.lr_decay_factor
                        (decay on plateau; 0 = off).
  train.dropout_warmup_epochs
                        > 0: the model's dropout rates rise linearly from 0 to their values
                        over this many epochs (faster early learning; 0 = off).
  train.rng             threefry (JAX's default) | rbg: the PRNG of the training stream
                        (dropout, negatives). rbg (XLA's RngBitGenerator) draws dropout masks
                        much faster on CPU and compiles faster; it draws other numbers, so a
                        run is reproducible with either but not across them.
  train.*               batch_size (rows), lr, weight_decay (0 = plain Adam), grad_clip
                        (0 = off), max_epochs, patience (epochs without a better validation
                        NDCG@20), log_every_steps, checkpoint_every_steps (0 = epoch ends only),
                        stop_after_steps (0 = off; stops as a crash would, for testing resume).
  eval.*                batch_size, mask_history (exclude input items from the ranking),
                        also_unmasked (also log unmasked validation metrics, timed apart), ks,
                        test_each_epoch (also log each epoch's test metrics, timed apart:
                        for time-to-quality benchmarks; selection stays on validation),
                        ensemble_rounds (r >= 2: from RSIR round 1 on, also evaluate the
                        ensemble of the last r rounds' models, items ranked by their mean
                        log-probability, reported beside the newest model alone; 0 = off).
  parallel.num_devices  devices to split batches over (0 = all; data parallel, params
                        replicated; batch sizes must be multiples of it).
  parallel.distributed  True: a multi-host run (jax.distributed.initialize); coordinator
                        ('host:port'), num_processes and process_id (-1) may stay unset
                        where JAX detects them (Cloud TPU VMs).
  rsir.rounds           K self-improvement rounds (0 = the baseline alone).
  rsir.*                m (trajectories per source), tau (rank threshold), p (exploitation
                        probability), fidelity (False = the ablation), drop_failed (True:
                        a failed check also drops the item appended before it, the paper's
                        reading; False: kept, the authors' code), start
                        (first | prefix), choice (greedy | sample), temperature, top_k,
                        max_len (0 = model.max_len), min_len, finetune (start each round from
                        the previous round's weights), reseed_rounds (False: every round
                        starts from the run's initialisation and draws the same dropout and
                        negatives per step: paired rounds, less seed noise in round k against
                        round 0; True: round k >= 1 folds k into those keys, so its model is
                        as independent of the earlier rounds' as another seed's, what an
                        ensemble of rounds wants, eval.ensemble_rounds), chunk_size (trajectories per compiled
                        generation call, the unit a resumed generation restarts from), slots
                        (trajectories advanced together within a call; a slot refills as its
                        trajectory stops; 0 = chunk_size; -1 = 32 on a CPU, 4096 on a GPU or
                        TPU, setup.generation_slots; does not change the result),
                        sources (all: every row of D_k, the paper's rule, so synthetic rows are
                        extended again; real: the real training rows only, which keeps
                        the loop anchored to real users; docs/results.md compares them),
                        dedup (all: a trajectory repeating any row of D_k is dropped; new:
                        only repeats within the round's new rows are, the authors' rule, so a
                        confident sequence is added again every round), targets (a source's
                        target set T and exploitation pool: row, the whole row; input, the
                        authors': every item of the row but its last),
                        generator_dim / generator_layers (> 0: a separate,
                        e.g. smaller, SASRec trained on the same data generates: weak-to-strong),
                        round0_dir (a finished run, baseline or RSIR, whose round-0 model this
                        run takes instead of training its own; its config must match in every
                        field outside rsir; relative paths start at this run's workdir; a sweep
                        sets it for points that share a round 0), generate_only (stop once
                        the last round's data is generated and counted, without training on
                        it: a generation-only study), max_rows_factor (> 0: end the run after
                        a round whose new data would make D_{k+1} more than this many times
                        the real rows; without the check the rows can multiply every round).
  rsir.generator        what makes a round's new rows: rsir (the model's trajectories with
                        fidelity control) or a data-augmentation baseline (heuristics.py):
                        reorder (shuffle a random span of rsir.reorder_rate of the row;
                        CL4SRec's 0.6: CoSeRec's 0.2 leaves every row under 10 items
                        unchanged, floor(0.2 n) <= 1, most of Beauty's), insert (before
                        rsir.insert_rate of the items, the item most similar in the round's
                        model embeddings; CoSeRec's 0.4),
                        crop (a random span of rsir.crop_rate of the row; CL4SRec's 0.6).
                        rsir.m edited copies per source; sources, min_len, dedup and the
                        counts as for RSIR.
  rsir.match_rows       True: round k keeps at most as many new rows as round k of the run
                        in rsir.round0_dir added (a random subset), to compare generators at
                        matched numbers of rows (in a sweep, the point whose round 0 it
                        shares: put the RSIR point first).
  rsir.match_by         What match_rows matches: 'rows' (the number of new rows) or
                        'interactions' (their total length: a heuristic's copies keep their
                        source's length, RSIR's rows are shorter, so equal rows are not equal
                        data).
  rsir.cap              > 0: each real user keeps at most this many of a round's new rows (a
                        synthetic row belongs to the real user its source descends from); 0:
                        every row is kept (the paper).
  rsir.select           which rows a capped user keeps (selection.py): first (in generation
                        order), random, margin (the widest fidelity margin: the best unused
                        source item ranks furthest inside the top tau at the row's tightest
                        context), disagreement (the largest MC-dropout variance of the model's
                        log-probabilities of the row's items over rsir.select_draws draws;
                        needs a model with dropout).
  rsir.generate_ensemble  True: from round 1 on, generate (and check fidelity, and score for
                        rsir.select) with the ensemble of the last eval.ensemble_rounds
                        rounds' models (models.Ensemble: their mean log-probabilities).
  rsir.tau_schedule     each round's threshold (tau_schedule.py): '' (rsir.tau every round),
                        a list ('5,10,20': round k takes the k-th, the last one after), or
                        'accept:a' (the smallest tau at which the round's model passes the
                        first check on a share a of the real rows), or 'share:s' (the previous
                        round's tau scaled by s / the synthetic share of D_k, within 1/2..2).
"""

import ml_collections

from rsir_jax.config_check import ConfigError


def get_base_config() -> ml_collections.ConfigDict:
  """Paper-sized SASRec (d=64, 2 layers, 2 heads, max length 50) with full softmax CE."""
  c = ml_collections.ConfigDict()
  c.seed = 0

  c.data = ml_collections.ConfigDict()
  c.data.name = "beauty"
  c.data.path = ""
  c.data.format = "auto"
  c.data.dir = ""
  c.data.base_url = ""
  c.data.bucket_lengths = (4, 6, 8, 12, 16, 24, 32)

  c.model = ml_collections.ConfigDict()
  c.model.name = "sasrec"
  c.model.dim = 64
  c.model.num_layers = 2
  c.model.num_heads = 2
  c.model.ffn_mult = 4
  c.model.dropout = 0.5
  c.model.attn_dropout = 0.5
  c.model.max_len = 50
  c.model.input_norm = True
  c.model.ffn_dropout = False
  c.model.cl_weight = 0.1
  c.model.cl_temperature = 1.0
  c.model.cl_crop = 0.6
  c.model.cl_mask = 0.3
  c.model.cl_reorder = 0.6

  c.train = ml_collections.ConfigDict()
  c.train.loss = "ce"
  c.train.num_negatives = 256
  c.train.negatives = "shared"
  c.train.negatives_chunk = -1
  c.train.steps_per_call = 1
  c.train.loss_norm = "batch_mean"
  c.train.prefix_rows = False
  c.train.batch_size = 256
  c.train.lr = 1e-3
  c.train.lr_schedule = "constant"
  c.train.warmup_epochs = 0.0
  c.train.rng = "threefry"
  c.train.dropout_warmup_epochs = 0.0
  c.train.lr_decay_patience = 0
  c.train.lr_decay_factor = 0.5
  c.train.weight_decay = 0.0
  c.train.grad_clip = 0.0
  c.train.max_epochs = 200
  c.train.patience = 20
  c.train.log_every_steps = 0
  c.train.checkpoint_every_steps = 0
  c.train.stop_after_steps = 0

  c.parallel = ml_collections.ConfigDict()
  c.parallel.num_devices = 0
  c.parallel.distributed = False
  c.parallel.coordinator = ""
  c.parallel.num_processes = 0
  c.parallel.process_id = -1

  c.eval = ml_collections.ConfigDict()
  c.eval.batch_size = 512
  c.eval.mask_history = True
  c.eval.also_unmasked = False
  c.eval.test_each_epoch = False
  c.eval.ks = (5, 10, 20)
  c.eval.ensemble_rounds = 0

  c.rsir = ml_collections.ConfigDict()
  c.rsir.rounds = 0
  c.rsir.m = 5
  c.rsir.tau = 5
  c.rsir.p = 0.5
  c.rsir.fidelity = True
  c.rsir.drop_failed = True
  c.rsir.start = "first"
  c.rsir.choice = "greedy"
  c.rsir.temperature = 1.0
  c.rsir.top_k = 0
  c.rsir.max_len = 0
  c.rsir.min_len = 3
  c.rsir.finetune = False
  c.rsir.reseed_rounds = False
  c.rsir.chunk_size = 16384
  c.rsir.slots = -1
  c.rsir.sources = "all"
  c.rsir.dedup = "all"
  c.rsir.targets = "row"
  c.rsir.generator_dim = 0
  c.rsir.generator_layers = 0
  c.rsir.round0_dir = ""
  c.rsir.generate_only = False
  c.rsir.max_rows_factor = 0.0
  c.rsir.generator = "rsir"
  c.rsir.reorder_rate = 0.6
  c.rsir.insert_rate = 0.4
  c.rsir.crop_rate = 0.6
  c.rsir.match_rows = False
  c.rsir.match_by = "rows"
  c.rsir.cap = 0
  c.rsir.select = "first"
  c.rsir.select_draws = 4
  c.rsir.tau_schedule = ""
  c.rsir.generate_ensemble = False
  return c


def recbole_setup(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """RecBole's training of SASRec: full softmax CE on prefix rows (each target its own row
  with its own dropout draw), 2048 rows per batch, a constant learning rate of 1e-3; patience 10
  (the measured runs'; the paper uses 20). The per-dataset configs' setup before the
  time-to-quality work, kept as their 'recbole' preset: on Beauty it reaches 0.0939 / 0.0577
  (seed 0) in about 23 minutes on 2 cores (docs/results.md, section 11)."""
  c.train.loss = "ce"
  c.train.prefix_rows = True
  c.train.batch_size = 2048
  c.train.lr = 1e-3
  c.train.patience = 10
  return c


def strong_baseline(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The setup of the per-dataset SASRec configs: RecBole's (recbole_setup) made faster to
  the same quality (docs/results.md, section 11): 512 rows per batch (4x the updates per
  epoch at the same cost), a learning rate of 2e-3, dropout rising from 0 to its rate over
  the first 6 epochs (an underfitting model learns faster without it), the learning rate
  halved after every 2 epochs without a better validation (small batches level off at a
  constant rate), and the rbg PRNG for the dropout masks (cheaper to draw and to compile on
  CPU). Until 2026-11-29 the rate was 1e-3 with a 4-epoch warmup: the same full-length
  quality on two seeds, 3 more epochs to RecBole's bar."""
  c = recbole_setup(c)
  c.train.batch_size = 512
  c.train.lr = 2e-3
  c.train.dropout_warmup_epochs = 6.0
  c.train.rng = "rbg"
  c.train.lr_decay_patience = 2
  return c


def paper_setup(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The paper's training setup: sampled softmax with 256 negatives on sequence rows (one
  row per user, every position a target), batch 256; patience 10 (the measured runs')."""
  c.train.loss = "sampled"
  c.train.num_negatives = 256
  c.train.prefix_rows = False
  c.train.batch_size = 256
  c.train.patience = 10
  return c


def authors_protocol(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Every field at the value of the authors' released code (RSIR's model/basemodel.py, its
  SASRec from their DR4SR code; ../shared/notes/authors_protocol.md): SASRec with FFN width
  128, no input LayerNorm, dropout inside the FFN; sampled softmax with 256 negatives per
  position from outside the row; one row per user, batch 256, patience 20, up to 1000
  epochs, seed 2023; m = 5, p = 0.5, greedy choice, the first item as start, the item before
  a failed check kept, duplicates removed within the round's new rows only, T = the row's
  input; 3 rounds. The threshold is the caller's (the authors' only shipped one, k = 2e7,
  switches the check off)."""
  c.seed = 2023
  c.model.ffn_mult, c.model.input_norm, c.model.ffn_dropout = 2, False, True
  c.train.loss, c.train.num_negatives, c.train.negatives = "sampled", 256, "row"
  c.train.prefix_rows, c.train.batch_size = False, 256
  c.train.patience, c.train.max_epochs = 20, 1000
  r = c.rsir
  r.rounds, r.m, r.p, r.choice, r.start = 3, 5, 0.5, "greedy", "first"
  r.drop_failed, r.dedup, r.targets, r.sources = False, "new", "input", "all"
  return c


# The threshold of configs/rsir_paper_*.py: with the authors' switches, tau 20 adds about as
# much data to a round as the paper's Sports runs did (docs/results.md, "Which switch makes
# the check lenient"); their one shipped threshold switches the check off.
PAPER_TAU = 20
# Without the check a round can multiply the rows; stop before D_k outgrows the machine.
PAPER_MAX_ROWS_FACTOR = 20.0
PAPER_PRESETS = ("", "nofid", "nofid_real", "smoke")


def paper_rsir(c: ml_collections.ConfigDict, preset: str) -> ml_collections.ConfigDict:
  """RSIR as the authors' code runs it (authors_protocol) at tau = PAPER_TAU, under one of
  PAPER_PRESETS: '' (with the check), 'nofid' (the check off, m = 5: the authors' shipped
  setting), 'nofid_real' (the same, generating from the real rows only), 'smoke' (one round
  of a small model for 3 epochs: 2.6 min on Beauty and 3.8 on Sports with the 2 cores
  shared by another run)."""
  c = authors_protocol(c)
  c.rsir.tau, c.rsir.max_rows_factor = PAPER_TAU, PAPER_MAX_ROWS_FACTOR
  if preset in ("nofid", "nofid_real"):
    c.rsir.fidelity = False
    c.rsir.sources = "real" if preset == "nofid_real" else "all"
  elif preset == "smoke":
    c = apply_preset(c, "smoke")
    c.train.max_epochs, c.rsir.rounds, c.rsir.m = 3, 1, 1
  elif preset:
    raise ConfigError(f"unknown preset {preset!r}: use one of {PAPER_PRESETS}")
  return c


def paper_sweep(seeds, preset: str = "") -> list[dict]:
  """The sweep points of configs/rsir_paper_*.py: for preset '', Table 2 for each seed
  (round 0 trained once per seed and shared): with the check, without it (m = 5), and without
  it from the real rows only; for any other preset, its seeds."""
  if preset:
    return [{"seed": s} for s in seeds]
  variants = ({}, {"rsir.fidelity": False}, {"rsir.fidelity": False, "rsir.sources": "real"})
  return [dict(v, seed=s) for s in seeds for v in variants]


AUGMENT_BACKBONES = ("sasrec", "cl4srec", "gru4rec", "hstu")
AUGMENT_GENERATORS = ("reorder", "insert")
AUGMENT_MATCH_BY = ("rows", "interactions")


def augment_baselines(c: ml_collections.ConfigDict, dataset: str,
                      preset: str = "") -> ml_collections.ConfigDict:
  """The config of configs/augment_baselines_*.py: the paper's training setup on `dataset`,
  one RSIR round at tau 20, m 5, p 0.5 (the heuristic points set m = 1)."""
  c = paper_setup(c)
  c.data.name = dataset
  c.rsir.rounds, c.rsir.m, c.rsir.p, c.rsir.tau = 1, 5, 0.5, 20
  c = apply_preset(c, preset)
  if preset == "smoke":
    c.train.max_epochs, c.rsir.m = 3, 1
  return c


def augment_baselines_sweep(seeds) -> list[dict]:
  """The sweep points of configs/augment_baselines_*.py. Per seed and backbone: the RSIR
  point first (it trains the shared round 0, and the heuristics match its numbers of new
  rows), then each heuristic at one copy per row, cut to RSIR's rows, then to its
  interactions; last, RSIR again with its round 1 reseeded (rsir.reseed_rounds: the
  ensemble of base and round 1 with members as independent as two seeds')."""
  points = []
  for seed in seeds:
    for name in AUGMENT_BACKBONES:
      points.append({"seed": seed, "model.name": name, "rsir.generator": "rsir"})
      for match_by in AUGMENT_MATCH_BY:
        for generator in AUGMENT_GENERATORS:
          point = {"seed": seed, "model.name": name, "rsir.generator": generator,
                   "rsir.m": 1, "rsir.match_rows": True}
          if match_by != "rows":  # the rows points keep the names their folders have
            point["rsir.match_by"] = match_by
          points.append(point)
      points.append({"seed": seed, "model.name": name, "rsir.generator": "rsir",
                     "rsir.reseed_rounds": True})
  return points


# configs/beyond_rsir_*.py: the variants run on the strong baseline, each a set of overrides
# (every one an RSIR run whose round 0 is its baseline; those that keep the baseline's
# training share one round 0 per seed).
BEYOND_VARIANTS = {
    "paper": {},                                                  # keep every row, D_k sources
    "real": {"rsir.sources": "real"},                             # real users' rows only
    "cap1_first": {"rsir.sources": "real", "rsir.cap": 1},
    "cap1_random": {"rsir.sources": "real", "rsir.cap": 1, "rsir.select": "random"},
    "cap1_margin": {"rsir.sources": "real", "rsir.cap": 1, "rsir.select": "margin"},
    "cap1_disagreement": {"rsir.sources": "real", "rsir.cap": 1,
                          "rsir.select": "disagreement"},
    "accept": {"rsir.sources": "real", "rsir.tau_schedule": "accept:0.6"},
    "share": {"rsir.sources": "real", "rsir.tau_schedule": "share:0.3"},
    "finetune": {"rsir.sources": "real", "rsir.finetune": True},
    "ensemble_generates": {"rsir.sources": "real", "rsir.generate_ensemble": True},
    "reseeded": {"rsir.sources": "real", "rsir.reseed_rounds": True},  # independent members
    "weak_to_strong": {"rsir.sources": "real", "rsir.generator_dim": 32},
    "small_learner": {"rsir.sources": "real", "model.dim": 32},   # its round 0: a d = 32 base
    "sequence_rows": {"rsir.sources": "real", "train.prefix_rows": False},  # the 2 x 2
}
BEYOND_SEEDS = (0, 1, 2)


def beyond_rsir(c: ml_collections.ConfigDict, dataset: str,
                preset: str = "") -> ml_collections.ConfigDict:
  """The config of configs/beyond_rsir_*.py: the strong baseline on `dataset`, 3 RSIR rounds
  at tau 20, m 5, p 0.5, each round also evaluated as an ensemble with the one before."""
  c = strong_baseline(c)
  c.data.name = dataset
  c.rsir.rounds, c.rsir.m, c.rsir.p, c.rsir.tau = 3, 5, 0.5, 20
  c.eval.ensemble_rounds = 2
  c = apply_preset(c, preset)
  if preset == "smoke":  # m = 2: a cap of 1 row per user still has rows to choose from
    c.rsir.rounds, c.rsir.m, c.train.max_epochs = 2, 2, 2
  return c


def beyond_rsir_sweep(seeds=BEYOND_SEEDS, variants=tuple(BEYOND_VARIANTS)) -> list[dict]:
  """The sweep points of configs/beyond_rsir_*.py: per seed, each variant's overrides (the
  'paper' point first: it trains the round 0 the others share)."""
  return [{"seed": s, **BEYOND_VARIANTS[v]} for s in seeds for v in variants]


def apply_preset(c: ml_collections.ConfigDict, preset: str | None) -> ml_collections.ConfigDict:
  """Applies a named preset: '' / None (the full run), 'smoke' (a short run on the real
  data: a small one-layer model, sampled softmax, a few epochs; under a minute on a laptop
  CPU), 'recbole' (the training fields at recbole_setup's values: the slower reference) or
  'screen' (the full run stopped after 15 epochs: past the strong baseline's quality bar,
  which it reaches at epoch 10 or 11; for timing, e.g. the GPU check's cold and warm runs)."""
  if not preset:
    return c
  if preset == "screen":
    c.train.max_epochs = 15
    return c
  if preset == "recbole":
    c.train.dropout_warmup_epochs, c.train.rng = 0.0, "threefry"  # undo strong_baseline
    c.train.lr_decay_patience = 0
    return recbole_setup(c)
  if preset == "smoke":
    c.model.dim = 32
    c.model.num_layers = 1
    c.model.dropout = 0.2
    c.model.attn_dropout = 0.2
    c.data.bucket_lengths = (8,)  # fewer shapes: compiling dominates a run this short
    c.train.loss = "sampled"
    c.train.prefix_rows = False  # sequence rows: ~6x fewer rows, the point of a smoke run
    c.train.batch_size = 256
    c.train.lr = 3e-3
    c.train.max_epochs = 10
    c.train.patience = 10
    c.train.dropout_warmup_epochs, c.train.rng = 0.0, "threefry"  # as its result was measured
    c.train.lr_decay_patience = 0
    return c
  raise ConfigError(f"unknown preset {preset!r}: use '', 'smoke', 'recbole' or 'screen'")
