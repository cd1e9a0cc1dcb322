"""Every config field, its default and its meaning (on the lines above it). Any field can be
overridden from the command line, e.g. `--config.train.loss=bce`; config files
(configs/*.py) start from `get_base_config()` and compose the setups of presets.py."""

import ml_collections


def get_base_config() -> ml_collections.ConfigDict:
  """Paper-sized SASRec (d=64, 2 layers, 2 heads, max length 50) with full softmax CE."""
  c = ml_collections.ConfigDict()
  # PRNG seed for initialisation, dropout, negatives and batch order.
  c.seed = 0

  c.data = ml_collections.ConfigDict()
  # A named benchmark (beauty, sports, toys, yelp, lastfm), or '' to use data.path.
  c.data.name = "beauty"
  # A file of your own ('user item item ...' or 'user item' lines, .gz ok).
  c.data.path = ""
  # auto | seq | pairs: how to read data.path.
  c.data.format = "auto"
  # Where named datasets are looked for and cached (RSIR_DATA_DIR wins).
  c.data.dir = ""
  # Where named datasets are downloaded from ('' = the public source).
  c.data.base_url = ""
  # Static sequence lengths batches are padded to (max_len is added; () = one shape, the
  # full length: slower on a CPU, faster on a GPU).
  c.data.bucket_lengths = (4, 6, 8, 12, 16, 24, 32)

  c.model = ml_collections.ConfigDict()
  # The backbone (rsir_jax/models): sasrec | cl4srec | gru4rec | hstu. gru4rec uses dim,
  # num_layers, dropout and max_len only; hstu all but ffn_mult, input_norm and ffn_dropout;
  # cl4srec SASRec's and the cl_* fields.
  c.model.name = "sasrec"
  # Hidden size, blocks (layers), attention heads.
  c.model.dim = 64
  c.model.num_layers = 2
  c.model.num_heads = 2
  # The feed-forward's width over dim (the authors': 2).
  c.model.ffn_mult = 4
  # Dropout on the embeddings, block outputs and feed-forward; on the attention weights.
  c.model.dropout = 0.5
  c.model.attn_dropout = 0.5
  # The most recent items kept per sequence.
  c.model.max_len = 50
  # LayerNorm on the input embeddings (the authors': False).
  c.model.input_norm = True
  # Dropout inside the feed-forward, after its activation (the authors': True).
  c.model.ffn_dropout = False
  # CL4SRec: the contrastive loss's weight (lambda) and temperature, and the rates of its
  # views' edits (models/cl4srec.py).
  c.model.cl_weight = 0.1
  c.model.cl_temperature = 1.0
  c.model.cl_crop = 0.6
  c.model.cl_mask = 0.3
  c.model.cl_reorder = 0.6

  c.train = ml_collections.ConfigDict()
  # ce (full softmax) | sampled (train.num_negatives uniform negatives) | bce.
  c.train.loss = "ce"
  c.train.num_negatives = 256
  # Sampled softmax's negatives: shared (one draw for the whole batch) | row (the authors':
  # per position, from the items not in the row's input, so a user's own items are never
  # negatives on their own row) | row_pool (the same rule per row, shared by its positions,
  # taken from one pool for the batch: each position's negatives as likely as under row, at
  # about the cost of shared; against row: docs/results.md, section 15) | row_from_pool (the
  # row rule per position, drawn from a pool of train.negatives_pool items for the batch:
  # each negative alone as likely as under row; train/pool_negatives.py).
  c.train.negatives = "shared"
  # The batch's pool of items for negatives=row_from_pool.
  c.train.negatives_pool = 2048
  # How `row` and `row_from_pool` negatives are computed, never what: positions per step of
  # a loop whose working set stays in cache (train/row_negatives.py, pool_negatives.py);
  # 0 = every position at once; -1 = on a CPU 32 (row) or 128 (row_from_pool), 0 on a GPU or
  # TPU. Results agree to float rounding whatever the value.
  c.train.negatives_chunk = -1
  # Train steps per dispatch (a lax.scan over up to this many consecutive batches of one
  # shape; fewer where the epoch's order changes shape), so that a GPU or TPU is not bound
  # by launches; bit-identical to 1 on a CPU. 1 = one step per call.
  c.train.steps_per_call = 1
  # batch_mean (each batch's loss is the mean over its targets) | per_target (every target
  # weighs the same across batches; see train/step.py make_train_step).
  c.train.loss_norm = "batch_mean"
  # False: one row per sequence, trained at every position | True: one row per prefix,
  # trained at its last position (RecBole's layout: each target gets its own dropout draw;
  # the cost per epoch against sequence rows: docs/results.md, section 2).
  c.train.prefix_rows = False
  # Rows per batch; Adam's learning rate.
  c.train.batch_size = 256
  c.train.lr = 1e-3
  # constant | cosine | linear: the learning rate's decay, reaching 0 at train.max_epochs
  # (fractional epochs, so the same whatever the number of rows); warmup_epochs (0 = none)
  # ramps it up from 0 first.
  c.train.lr_schedule = "constant"
  c.train.warmup_epochs = 0.0
  # threefry (JAX's default) | rbg: the PRNG of the training stream (dropout, negatives).
  # rbg (XLA's RngBitGenerator) draws dropout masks much faster on CPU and compiles faster;
  # it draws other numbers, so a run is reproducible with either but not across them.
  c.train.rng = "threefry"
  # > 0: the model's dropout rates rise linearly from 0 to their values over this many
  # epochs (faster early learning; 0 = off).
  c.train.dropout_warmup_epochs = 0.0
  # > 0: every this many epochs in a row without a better validation NDCG@20, the learning
  # rate is multiplied by lr_decay_factor (decay on plateau; 0 = off).
  c.train.lr_decay_patience = 0
  c.train.lr_decay_factor = 0.5
  # Decoupled weight decay (0 = plain Adam); global-norm gradient clipping (0 = off).
  c.train.weight_decay = 0.0
  c.train.grad_clip = 0.0
  # Epochs at most; epochs without a better validation NDCG@20 before stopping.
  c.train.max_epochs = 200
  c.train.patience = 20
  # A log line every this many steps; a checkpoint every this many steps (0 = at epoch ends
  # only); stop as a crash would after this many steps (0 = off; for testing resume).
  c.train.log_every_steps = 0
  c.train.checkpoint_every_steps = 0
  c.train.stop_after_steps = 0

  c.parallel = ml_collections.ConfigDict()
  # Devices to split batches over (0 = all; data parallel, params replicated; batch sizes
  # must be multiples of it).
  c.parallel.num_devices = 0
  # True: a multi-host run (jax.distributed.initialize); coordinator ('host:port'),
  # num_processes and process_id (-1) may stay unset where JAX detects them (Cloud TPU VMs).
  c.parallel.distributed = False
  c.parallel.coordinator = ""
  c.parallel.num_processes = 0
  c.parallel.process_id = -1

  c.eval = ml_collections.ConfigDict()
  # Users per evaluation batch.
  c.eval.batch_size = 512
  # Exclude the input items from the ranking.
  c.eval.mask_history = True
  # Also log unmasked validation metrics, timed apart.
  c.eval.also_unmasked = False
  # Also log each epoch's test metrics, timed apart: for time-to-quality benchmarks;
  # selection stays on validation.
  c.eval.test_each_epoch = False
  # The K of Recall@K and NDCG@K (20 is needed: early stopping uses NDCG@20).
  c.eval.ks = (5, 10, 20)
  # r >= 2: from RSIR round 1 on, also evaluate the ensemble of the last r rounds' models,
  # items ranked by their mean log-probability, beside the newest model alone; 0 = off.
  c.eval.ensemble_rounds = 0

  c.rsir = ml_collections.ConfigDict()
  # K self-improvement rounds (0 = the baseline alone).
  c.rsir.rounds = 0
  # Trajectories (or edited copies) per source; the rank threshold of the fidelity check;
  # the exploitation probability; fidelity=False is the ablation without the check.
  c.rsir.m = 5
  c.rsir.tau = 5
  c.rsir.p = 0.5
  c.rsir.fidelity = True
  # True: a failed check also drops the item appended before it (the paper's reading);
  # False: kept (the authors' code).
  c.rsir.drop_failed = True
  # A trajectory starts from its source's first item | a random real prefix of it.
  c.rsir.start = "first"
  # greedy | sample (softmax with temperature, over the top_k best when top_k > 0).
  c.rsir.choice = "greedy"
  c.rsir.temperature = 1.0
  c.rsir.top_k = 0
  # Longest trajectory (0 = model.max_len); shortest one kept as a row.
  c.rsir.max_len = 0
  c.rsir.min_len = 3
  # Start each round from the previous round's weights (the paper's FT variant).
  c.rsir.finetune = False
  # False: every round starts from the run's initialisation and draws the same dropout and
  # negatives per step (paired rounds, less seed noise in round k against round 0); True:
  # round k >= 1 folds k into those keys, so its model is as independent of the earlier
  # rounds' as another seed's (what an ensemble of rounds wants, eval.ensemble_rounds).
  c.rsir.reseed_rounds = False
  # Trajectories per compiled generation call (the unit a resumed generation restarts from).
  c.rsir.chunk_size = 16384
  # Trajectories advanced together within a call (a slot refills as its trajectory stops;
  # 0 = chunk_size; -1 = 32 on a CPU, 4096 on a GPU or TPU: run/setup.py generation_slots);
  # it does not change the result.
  c.rsir.slots = -1
  # all: every row of D_k is a source (the paper's rule: synthetic rows are extended again)
  # | real: the real training rows only (the loop stays anchored to real users).
  c.rsir.sources = "all"
  # all: a trajectory repeating any row of D_k is dropped | new: only repeats within the
  # round's new rows are (the authors' rule: a confident sequence is added every round).
  c.rsir.dedup = "all"
  # A source's target set T and exploitation pool: row (the whole row) | input (the
  # authors': every item of the row but its last).
  c.rsir.targets = "row"
  # > 0: a separate, e.g. smaller, SASRec trained on the same data generates
  # (weak-to-strong).
  c.rsir.generator_dim = 0
  c.rsir.generator_layers = 0
  # A finished run (baseline or RSIR) whose round-0 model this run takes instead of training
  # its own; its config must match in every field outside rsir; a relative path starts at
  # this run's workdir; a sweep sets it for points that share a round 0.
  c.rsir.round0_dir = ""
  # Stop once the last round's data is generated and counted, without training on it (a
  # generation-only study).
  c.rsir.generate_only = False
  # > 0: end the run after a round whose new data would make D_{k+1} more than this many
  # times the real rows (without the check the rows can multiply every round).
  c.rsir.max_rows_factor = 0.0
  # What makes a round's new rows: rsir (the model's trajectories with fidelity control) or
  # a data-augmentation baseline (generate/augmenters.py): reorder (shuffle a random span of
  # reorder_rate of the row; CL4SRec's 0.6: CoSeRec's 0.2 leaves every row under 10 items
  # unchanged), insert (before insert_rate of the items, the item most similar in the
  # round's model embeddings; CoSeRec's 0.4), crop (a random span of crop_rate of the row;
  # CL4SRec's 0.6). rsir.m edited copies per source; sources, min_len, dedup and the counts
  # as for RSIR.
  c.rsir.generator = "rsir"
  c.rsir.reorder_rate = 0.6
  c.rsir.insert_rate = 0.4
  c.rsir.crop_rate = 0.6
  # True: round k keeps at most as many new rows as round k of the run in rsir.round0_dir
  # added (a random subset), to compare generators at matched amounts (in a sweep, the point
  # whose round 0 it shares: put the RSIR point first); match_by: rows (their number) |
  # interactions (their total length: a heuristic's copies keep their source's length,
  # RSIR's rows are shorter).
  c.rsir.match_rows = False
  c.rsir.match_by = "rows"
  # > 0: each real user keeps at most this many of a round's new rows (a synthetic row
  # belongs to the real user its source descends from); 0: every row is kept (the paper).
  c.rsir.cap = 0
  # Which rows a capped user keeps (generate/selection.py): first (in generation order),
  # random, margin (the widest fidelity margin: the best unused source item ranks furthest
  # inside the top tau at the row's tightest context), disagreement (the largest MC-dropout
  # variance of the model's log-probabilities of the row's items over select_draws draws;
  # needs a model with dropout).
  c.rsir.select = "first"
  c.rsir.select_draws = 4
  # Each round's threshold (generate/tau_schedule.py): '' (rsir.tau every round), a list
  # ('5,10,20': round k takes the k-th, the last one after), 'accept:a' (the smallest tau at
  # which the round's model passes the first check on a share a of the real rows) or
  # 'share:s' (the previous round's tau scaled by s / the synthetic share of D_k, within
  # 1/2..2).
  c.rsir.tau_schedule = ""
  # True: from round 1 on, generate (and check fidelity, and score for rsir.select) with the
  # ensemble of the last eval.ensemble_rounds rounds' models (their mean log-probabilities).
  c.rsir.generate_ensemble = False
  return c
