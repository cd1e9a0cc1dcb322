"""A backbone's strong baseline on any dataset, one file for all of them (a config argument,
`path:key=value,...`, picks the dataset, the backbone and the preset): full softmax CE on
prefix rows trained fast (rsir_jax.config.strong_baseline), full ranking, history masked.

  python launch.py --config=configs/baseline.py:dataset=toys              # SASRec on Toys
  python launch.py --config=configs/baseline.py:dataset=yelp,preset=smoke
  python launch.py --config=configs/baseline.py:model=gru4rec --sweep=config   # seeds 0, 1
  python launch.py --config=configs/baseline.py:model=hstu,preset=smoke

  dataset   beauty (default) | sports | toys | yelp (DESIGN.md's files)
  model     sasrec (default) | gru4rec | hstu | cl4srec, sized like SASRec (d=64, 2 layers,
            dropout 0.5, the last 50 items), so backbones differ in the backbone alone;
            GRU4Rec and HSTU keep their dropout constant (the warmup was tuned on SASRec)
  preset    '' | smoke | recbole | screen (rsir_jax.config.apply_preset)

SASRec on Beauty and on Sports has its own file with its measured result
(configs/sasrec_beauty.py, configs/sasrec_sports.py: the same configs as dataset=beauty and
dataset=sports here). Result on Toys, Yelp and for GRU4Rec and HSTU in this setup: not
measured yet; on Beauty SASRec reaches test Recall@10 0.094, NDCG@10 0.057
(docs/results.md section 11).
"""

from rsir_jax.config import apply_preset, get_base_config, parse_arg, strong_baseline

PRESETS = ("", "smoke", "dataset=toys", "dataset=yelp,preset=smoke", "model=gru4rec",
           "model=hstu,preset=smoke", "model=cl4srec,dataset=sports")


def get_config(arg: str = ""):
  a = parse_arg(arg, dataset="beauty", model="sasrec", preset="")
  c = get_base_config()
  c.data.name, c.model.name = a.dataset, a.model
  c = strong_baseline(c)
  if a.model in ("gru4rec", "hstu"):
    c.train.dropout_warmup_epochs = 0.0  # constant dropout: the warmup was tuned on SASRec
  return apply_preset(c, a.preset)


def get_sweep():
  """Points of `--sweep=config`: two seeds."""
  return [{"seed": s} for s in (0, 1)]
