"""The time-to-quality benchmark's bookkeeping: test metrics logged per epoch without changing
the run, wall times without the extra (test, unmasked) evaluations, the best-validation epoch's
test."""

import json

from benchmarks import bench_time_to_quality as ttq
from rsir_jax.run import trainer
from tests import tiny


def test_test_each_epoch_logs_the_test_of_each_epoch_and_changes_nothing_else(tiny_data,
                                                                                tmp_path):
  def fit(workdir, **overrides):
    config = tiny.tiny_config({"train.max_epochs": 2, **overrides})
    return trainer.fit(tiny.resolve(config, tiny_data), tiny_data.split.train, str(workdir))

  plain = fit(tmp_path / "a").results
  logged = fit(tmp_path / "b", **{"eval.test_each_epoch": True}).results
  assert logged["test"] == plain["test"] and logged["valid"] == plain["valid"]
  rows = [json.loads(l) for l in open(tmp_path / "b" / "metrics.jsonl")]
  assert all("test" in r and r["test_eval_s"] >= 0 for r in rows)
  best = max(rows, key=lambda r: r["valid"]["ndcg@20"])
  assert best["test"] == plain["test"]  # the final test is the best epoch's


def test_timeline_takes_the_extra_evaluations_out_and_follows_the_best_epoch():
  metrics = lambda n: {"ndcg@20": n}
  history = [
      {"epoch": 1, "train_s": 5.0, "unix_time": 110.0, "test_eval_s": 2.0,
       "valid": metrics(0.03), "valid_unmasked": metrics(0.02),
       "test": {"recall@10": 0.05, "ndcg@10": 0.03}},
      {"epoch": 2, "train_s": 4.0, "unix_time": 121.0, "test_eval_s": 2.0,
       "unmasked_eval_s": 1.0,
       "valid": metrics(0.05), "valid_unmasked": metrics(0.06),
       "test": {"recall@10": 0.09, "ndcg@10": 0.055}},
      {"epoch": 3, "train_s": 4.0, "unix_time": 131.0, "test_eval_s": 2.0,
       "valid": metrics(0.04), "valid_unmasked": metrics(0.05),
       "test": {"recall@10": 0.10, "ndcg@10": 0.06}}]
  rows = ttq.timeline(history, start_unix=100.0)
  assert [r["wall_s"] for r in rows] == [8.0, 16.0, 24.0]
  assert [r["best_epoch"] for r in rows] == [1, 2, 2]
  assert rows[2]["test_recall@10"] == 0.09  # epoch 3's better test is not the selected one
  hit = ttq.first_reached(rows, lambda r: r["valid_unmasked_ndcg@20"] >= 0.0594)
  assert hit["epoch"] == 2
  assert ttq.first_reached(rows, lambda r: r["test_recall@10"] >= 0.095) is None


def test_epoch_flops_counts_each_shape_once_and_padding_to_one_shape_costs_flops(tiny_data):
  def flops(bucket_lengths):
    config = tiny.tiny_config({"data.bucket_lengths": bucket_lengths})
    return ttq.epoch_flops(tiny.resolve(config, tiny_data), tiny_data.split.train)

  bucketed, shapes = flops((4, 8))
  padded, one = flops((12,))  # max_len: every batch padded to the full length
  assert one == 1 and shapes > 1  # the tiny rows fill two of the three buckets
  assert 0 < bucketed < padded
