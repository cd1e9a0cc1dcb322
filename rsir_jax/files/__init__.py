"""What a run writes and reads, and where: the file writer (atomic, primary process only,
disk-full checks), a run's workdir (its name, the same-run check, the lock), the files of an
RSIR round and of a sweep, and the provenance every result file carries.

  writer      Writer, read_json, check_free_space
  workdir     default_workdir, check_same_run, locked, comparable
  rounds      RoundFiles: round_<k>/ (data, generation chunks, round.json), rounds.json/csv/png
  sweeps      point names, sweep.json's commands, the sweep summary (csv, md, plots)
  provenance  the commit, machine and date of a result; benchmark rows files
"""

from rsir_jax.files.writer import DiskFullError, Writer, check_free_space, read_json

__all__ = ["DiskFullError", "Writer", "check_free_space", "read_json"]
