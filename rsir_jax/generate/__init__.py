"""What a round adds to the data: the sampler with fidelity control, a round's rollouts in
resumable chunks, the augmentation baselines that stand in for it, and the choices made on
what comes out (filtering and de-duplication, the per-user cap and its selection rules, the
tau of each round).

  policy        a round's choices as frozen objects (RoundPolicy, LoopPlan), built in the setup
  generators    what makes a round's rows, behind one interface: RSIR, Reorder, Insert, Crop
  output        what a generation gives (Generated) and the source matrix
  sampler       the jitted, vmapped trajectory sampler and the lax.scan fidelity scorer
  rollouts      a round's trajectories in chunks (resumable), the first-check pass rate
  augmenters    Reordering, Insertion, Cropping: rows edited instead of generated
  filtering     which trajectories become rows (minimum length, duplicates), data counts
  selection     at most rsir.cap new rows per real user, chosen by a rule
  tau_schedule  the fidelity threshold of each round
"""
