"""rsir_jax: recursive self-improving sequential recommendation in JAX."""

import os


def _patient_cpu_collectives() -> None:
  """Simulated CPU devices (--xla_force_host_platform_device_count) run as threads of one
  process; on a machine whose cores are busy, one of them can reach a collective more than
  XLA's default 40 s after the others, and XLA then aborts the whole process. Allow 10
  minutes (unless the user set the flag): long enough for a starved thread, short enough that
  a real hang still ends. (parallel.settle keeps one step in flight on such meshes, which
  avoids the deadlock seen with many queued steps.) Runs at import, before JAX creates its
  CPU backend; XLA still logs a 'may be stuck' warning after 20 s."""
  flags = os.environ.get("XLA_FLAGS", "")
  if "xla_force_host_platform_device_count" in flags and "collective_call" not in flags:
    os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_collective_call_terminate_timeout_seconds=600"


_patient_cpu_collectives()
