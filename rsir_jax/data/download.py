"""Named benchmark datasets: where they are looked for, how they are downloaded and verified.

A dataset is located in a data directory (see `resolve_data_dir`) under one of a few accepted
file names, plain or gzipped. If it is missing it is downloaded from the public S3-Rec repository
(github.com/aHuiWang/CIKM2020-S3Rec, folder data/), checked against its SHA-256 and cached there.
Every file is verified against the SHA-256 of its *decompressed* bytes before it is used.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.client
import logging
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from rsir_jax import storage
from rsir_jax.errors import UserError

log = logging.getLogger(__name__)


DEFAULT_BASE_URL = "https://raw.githubusercontent.com/aHuiWang/CIKM2020-S3Rec/master/data/"
_SOURCE_REPO = "https://github.com/aHuiWang/CIKM2020-S3Rec (branch master, folder data/)"
_TIMEOUT_S = 60
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_PROGRESS_EVERY_S = 2.0
# What a failed connection or an interrupted transfer raises (HTTPError is handled before these).
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError)


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  """A named benchmark: its file name at the source and the SHA-256 of its decompressed bytes."""
  name: str
  source_file: str
  sha256: str


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec for spec in (
        DatasetSpec("beauty", "Beauty.txt",
                    "226cce9c3105299ca0db9615d7d3fb32b3175e90da43100ae352599f0f0107b8"),
        DatasetSpec("sports", "Sports_and_Outdoors.txt",
                    "2a095e0648872beb9982408958290f5d655db5be2911c3756b5446de9f0b8de2"),
        DatasetSpec("toys", "Toys_and_Games.txt",
                    "176c680c688d497598c4a89a03b402c0fe78d795e5db335c2e78dd5f2d778a3f"),
        DatasetSpec("yelp", "Yelp.txt",
                    "724b219106b81dd2349027da997334ddb6da9fe2f152ad6e0d97a93170f7caed"),
        DatasetSpec("lastfm", "LastFM.txt",
                    "9ded486adb5b0fe9dc761950afa0a9a05e93ff018992e0c52bf11afec529f802"),
    )
}


class ChecksumError(UserError, ValueError):
  """A dataset file's SHA-256 differs from the registered one."""


class DatasetUnavailableError(UserError, RuntimeError):
  """A dataset is not on disk and could not be downloaded (or cached)."""


def default_cache_dir() -> Path:
  """`$XDG_CACHE_HOME/rsir_jax`, or `~/.cache/rsir_jax` when XDG_CACHE_HOME is unset or empty."""
  base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
  return Path(base).expanduser() / "rsir_jax"


def resolve_data_dir(config_dir: str | None) -> Path | str:
  """The data directory: $RSIR_DATA_DIR if set and non-empty, else `config_dir` if non-empty,
  else `default_cache_dir()`. A gs:// URL stays a string."""
  chosen = os.environ.get("RSIR_DATA_DIR") or config_dir
  if chosen and storage.is_remote(chosen):
    return chosen
  return Path(chosen).expanduser() if chosen else default_cache_dir()


def sha256_of_file(path: str | os.PathLike) -> str:
  """Hex SHA-256 of a file's contents, of the decompressed contents if it is gzipped (detected by
  its magic bytes, not its extension)."""
  with open(path, "rb") as f:
    gzipped = f.read(2) == _GZIP_MAGIC
  digest = hashlib.sha256()
  with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as f:
    while chunk := f.read(_CHUNK):
      digest.update(chunk)
  return digest.hexdigest()


def _spec(name: str) -> DatasetSpec:
  if name not in DATASETS:
    raise ValueError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
  return DATASETS[name]


def candidate_files(spec: DatasetSpec) -> list[str]:
  """File names accepted for `spec` in a data directory, in the order they are tried."""
  source, lower = spec.source_file, spec.source_file.lower()
  names = [source, source + ".gz", lower, lower + ".gz", f"{spec.name}.txt", f"{spec.name}.txt.gz"]
  return list(dict.fromkeys(names))  # drops repeats (e.g. beauty.txt), keeps the order


def _manual_help(spec: DatasetSpec, target: Path, url: str) -> str:
  return (f"To install it by hand, download\n  {url}\n(the file {spec.source_file} of "
          f"{_SOURCE_REPO}) and save it as\n"
          f"  {target}\n"
          f"(gzipped as {target.name}.gz is fine too). The SHA-256 of its uncompressed bytes must "
          f"be\n  {spec.sha256}\n"
          "Or set RSIR_DATA_DIR to a directory that holds it, or RSIR_DATA_URL to a mirror.")


def _verify(path: Path | str, spec: DatasetSpec) -> None:
  actual = (sha256_of_file(path) if not storage.is_remote(str(path))
            else hashlib.sha256(_gunzipped(storage.read_bytes(str(path)))).hexdigest())
  if actual != spec.sha256:
    raise ChecksumError(
        f"{path}: SHA-256 mismatch for dataset {spec.name!r}: expected {spec.sha256}, got "
        f"{actual}. The file is corrupt or a different version; delete it to download it again.")


def _download_url(spec: DatasetSpec, base_url: str | None) -> str:
  base = base_url or os.environ.get("RSIR_DATA_URL") or DEFAULT_BASE_URL
  if not base.endswith("/"):
    base += "/"
  return base + spec.source_file


def _stream_to(response, out, url: str):
  """Copies `response` to the open file `out`, logging progress; returns the sha256 object of
  the bytes copied."""
  total = response.headers.get("Content-Length")
  total = int(total) if total and total.isdigit() else None
  digest, done, last_log = hashlib.sha256(), 0, time.monotonic()
  while chunk := response.read(_CHUNK):
    out.write(chunk)
    digest.update(chunk)
    done += len(chunk)
    if time.monotonic() - last_log > _PROGRESS_EVERY_S:
      last_log = time.monotonic()
      log.info("downloading %s: %d%s bytes", url, done, f" / {total}" if total else "")
  log.info("downloaded %s: %d bytes", url, done)
  return digest


def _download(spec: DatasetSpec, data_dir: Path, url: str) -> Path:
  """Downloads `url` into `data_dir/<source_file>`, atomically and only if its hash matches."""
  target = data_dir / spec.source_file
  try:
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(dir=data_dir, prefix=f".{spec.source_file}.",
                                      suffix=".part", delete=False)
  except OSError as e:
    raise DatasetUnavailableError(
        f"cannot cache dataset {spec.name!r}: data directory {data_dir} is not writable ({e}).\n"
        + _manual_help(spec, target, url)) from e

  tmp_path = Path(tmp.name)
  try:
    with tmp:
      log.info("dataset %r not found in %s; downloading %s", spec.name, data_dir, url)
      try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
          digest = _stream_to(response, tmp, url)
      except urllib.error.HTTPError as e:
        why = f"HTTP {e.code} {e.reason}"
        raise DatasetUnavailableError(f"could not download dataset {spec.name!r} from {url}: "
                                      f"{why}.\n" + _manual_help(spec, target, url)) from e
      except _NETWORK_ERRORS as e:
        why = getattr(e, "reason", None) or e
        raise DatasetUnavailableError(f"could not download dataset {spec.name!r} from {url}: "
                                      f"{why}.\n" + _manual_help(spec, target, url)) from e
    actual = digest.hexdigest()
    # A mirror may serve the file gzipped; the registered hash is of the decompressed bytes.
    with open(tmp_path, "rb") as f:
      if f.read(2) == _GZIP_MAGIC:
        actual = sha256_of_file(tmp_path)
    if actual != spec.sha256:
      raise ChecksumError(
          f"downloaded {url} for dataset {spec.name!r} but its SHA-256 is {actual}, expected "
          f"{spec.sha256}; nothing was saved.\n" + _manual_help(spec, target, url))
    os.chmod(tmp_path, 0o644)  # temp files are created 0600; the cache should be readable
    os.replace(tmp_path, target)
  finally:
    tmp_path.unlink(missing_ok=True)  # no-op after a successful os.replace
  log.info("dataset %r verified and cached at %s", spec.name, target)
  return target


def locate_dataset(name: str, data_dir: str | os.PathLike, base_url: str | None = None,
                   download: bool = True) -> Path:
  """The verified file of dataset `name` in `data_dir`, downloading and caching it if missing.

  The names of `candidate_files` are tried in order; the first that exists is checked against
  the registered SHA-256 (of its decompressed bytes). If none exists and `download` is true, the
  file is fetched from `base_url + source_file` (default: $RSIR_DATA_URL, else DEFAULT_BASE_URL)
  and, once verified, saved as `data_dir/<source_file>`.

  Raises:
    ValueError: `name` is not in DATASETS.
    ChecksumError: the file found or downloaded has the wrong SHA-256 (a bad download is not kept).
    DatasetUnavailableError: the file is missing and could not be downloaded or saved (or
      `download` is false); the message says where to put the file by hand.
  """
  spec = _spec(name)
  if storage.is_remote(str(data_dir)):
    return _locate_in_bucket(spec, str(data_dir))
  data_dir = Path(data_dir).expanduser().absolute()
  for candidate in candidate_files(spec):
    path = data_dir / candidate
    if path.is_file():
      _verify(path, spec)
      log.info("dataset %r: using %s", spec.name, path)
      return path
  target, url = data_dir / spec.source_file, _download_url(spec, base_url)
  if not download:
    raise DatasetUnavailableError(
        f"dataset {spec.name!r} not found in {data_dir} (looked for "
        f"{', '.join(candidate_files(spec))}) and downloading is off.\n"
        + _manual_help(spec, target, url))
  return _download(spec, data_dir, url)


def _gunzipped(raw: bytes) -> bytes:
  return gzip.decompress(raw) if raw[:2] == _GZIP_MAGIC else raw


def _locate_in_bucket(spec: DatasetSpec, data_dir: str) -> str:
  """The verified file of `spec` in a data directory on a bucket. Nothing is downloaded into
  a bucket: the message says what to copy there."""
  for candidate in candidate_files(spec):
    path = storage.join(data_dir, candidate)
    if storage.exists(path):
      _verify(path, spec)
      log.info("dataset %r: using %s", spec.name, path)
      return path
  raise DatasetUnavailableError(
      f"dataset {spec.name!r} not found in {data_dir} (looked for "
      f"{', '.join(candidate_files(spec))}); nothing is downloaded into a bucket. Copy the file "
      f"there once, e.g.\n  gcloud storage cp ~/.cache/rsir_jax/{spec.source_file} "
      f"{storage.join(data_dir, spec.source_file)}\n(any machine that ran this dataset once "
      "has it in its data directory).")
