"""Training and evaluating one model: batches, losses, the jitted train step, full-ranking
evaluation and its metrics, checkpoints.

  batching       length-bucketed training batches and evaluation batches
  losses         full softmax, sampled softmax (shared, per-row and per-position negatives), BCE
  row_negatives  the authors' per-position negatives (a packed loop, a hand-written backward
                 pass) and their cheap neighbour row_pool
  pool_negatives row_from_pool: the authors' rule per position, drawn through a batch pool
  step           the optimizer, the schedules and the jitted train step (one or several a call)
  evaluation     full-ranking evaluation of every user, history masked
  metrics        Recall@K and NDCG@K from target ranks
  checkpoint     Orbax checkpoints of a training (params, optimizer state, loop bookkeeping)
  popularity     the most-popular ranking, the floor any model has to beat
"""
