"""One path layer for every file the project reads or writes: local paths and gs:// URLs.

Paths stay strings everywhere; this module is the only place that looks at their scheme. A
local path goes to `os` and `open`; a `gs://bucket/...` URL goes to etils.epath, the layer
Orbax already uses for its checkpoints, whose backend for gs:// is fsspec's gcsfs (Orbax
writes the arrays themselves through TensorStore's own GCS driver). What an object store
changes (docs/design.md, "Workdirs on a bucket"):

- there is no rename: an atomic write is one upload of the whole object (readers see the
  old object or the new one, never a part); `write_bytes` builds the bytes in memory first;
- there is no append: `append_line` rewrites the object with the line added, one upload, so
  a kill leaves the object as it was before or after the line, never torn;
- there are no folders: `makedirs` does nothing, a "folder" exists while an object lies
  under its prefix, and `isdir` asks exactly that;
- an exclusive create is a generation precondition (ifGenerationMatch=0): of two processes
  creating the same object at once, exactly one succeeds (`create_exclusive`, the workdir
  lock's building block).

gcsfs caches listings by default; here it does not (`cache_timeout=0`), because other
processes and hosts write the same workdir and a cached listing would hide their files.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import posixpath
import shutil
import socket
import urllib.parse
from typing import Iterator

from rsir_jax.errors import UserError

REMOTE_SCHEMES = ("gs",)


class StorageError(UserError):
  """A path cannot be used: an unknown scheme, a bucket that does not exist, missing
  credentials or no route to the server."""


def scheme(path: str) -> str | None:
  """'gs' for 'gs://bucket/x', None for a local path."""
  head, sep, _ = str(path).partition("://")
  return head.lower() if sep and head and "/" not in head else None


def is_remote(path: str) -> bool:
  """Whether `path` is a URL of an object store (gs://), not a local path."""
  return scheme(path) is not None


def check_scheme(path: str, what: str = "path") -> None:
  """Raises StorageError when `path` names a scheme this project cannot read or write."""
  s = scheme(path)
  if s is not None and s not in REMOTE_SCHEMES:
    raise StorageError(f"{what}={path}: unknown scheme '{s}://' (use a local path or "
                       f"{', '.join(f'{r}://bucket/...' for r in REMOTE_SCHEMES)})")
  if s is not None and not path.split("://", 1)[1].split("/", 1)[0]:
    raise StorageError(f"{what}={path}: no bucket named (write {s}://bucket/folder)")


def _split(path: str) -> tuple[str, str]:
  """('gs://bucket', 'a/b') for 'gs://bucket/a/b'."""
  s, rest = path.split("://", 1)
  bucket, _, key = rest.partition("/")
  return f"{s}://{bucket}", key


def normpath(path: str) -> str:
  """os.path.normpath, keeping a URL's 'scheme://bucket' whole ('..' stops at the bucket)."""
  if not is_remote(path):
    return os.path.normpath(path)
  root, key = _split(path)
  key = posixpath.normpath("/" + key).lstrip("/")
  return f"{root}/{key}" if key else root


def join(path: str, *parts: str) -> str:
  """os.path.join for local paths and URLs alike (a URL's parts are joined with '/' and
  normalised, so '..' steps up inside the bucket)."""
  if not is_remote(path):
    return os.path.join(path, *parts)
  return normpath(posixpath.join(path, *parts))


def relpath(path: str, start: str) -> str:
  """os.path.relpath for local paths and for two URLs in the same bucket."""
  if not is_remote(path) and not is_remote(start):
    return os.path.relpath(path, start)
  (root, key), (start_root, start_key) = _split(normpath(path)), _split(normpath(start))
  if root != start_root:
    raise ValueError(f"{path} is not under the bucket of {start}")
  return posixpath.relpath("/" + key, "/" + start_key)


def absolute(path: str) -> str:
  """An absolute local path, or the URL itself."""
  return path if is_remote(path) else os.path.abspath(path)


def _epath(path: str):
  from etils import epath  # pylint: disable=g-import-not-at-top  (only remote paths need it)
  _configure_gcsfs()
  return epath.Path(path)


_configured = False


def _configure_gcsfs() -> None:
  """Listings uncached (other processes write the same folders). Against a local emulator
  (STORAGE_EMULATOR_HOST), no probe of the bucket's layout over gRPC, which emulators do
  not serve and which gcsfs retries for a minute per call."""
  global _configured
  if _configured:
    return
  import fsspec  # pylint: disable=g-import-not-at-top
  fsspec.config.conf.setdefault("gs", {}).setdefault("cache_timeout", 0)
  if os.environ.get("STORAGE_EMULATOR_HOST"):
    os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
  _configured = True


def _filesystem(path: str):
  """The fsspec filesystem serving a remote `path` (the instance epath uses too)."""
  import fsspec  # pylint: disable=g-import-not-at-top
  _configure_gcsfs()
  return fsspec.filesystem(scheme(path))


def exists(path: str) -> bool:
  """Whether a file or folder is at `path` (a remote folder: any object under it)."""
  return _epath(path).exists() if is_remote(path) else os.path.exists(path)


def isdir(path: str) -> bool:
  """Whether `path` is a folder (a remote one: a prefix with objects under it)."""
  return _epath(path).is_dir() if is_remote(path) else os.path.isdir(path)


def makedirs(path: str) -> None:
  """Creates a local folder and its parents; nothing for a bucket (it has no folders)."""
  if not is_remote(path):
    os.makedirs(path, exist_ok=True)


def listdir(path: str) -> list[str]:
  """The names directly under the folder `path`, sorted ([] if there is none)."""
  if is_remote(path):
    p = _epath(path)
    return sorted(c.name for c in p.iterdir()) if p.is_dir() else []
  return sorted(os.listdir(path)) if os.path.isdir(path) else []


def walk_files(path: str) -> Iterator[str]:
  """Every file under the folder `path`, as a path relative to it."""
  if is_remote(path):
    fs, root = _filesystem(path), path.rstrip("/")
    prefix = root.split("://", 1)[1] + "/"
    for name in sorted(fs.find(root)):
      yield name[len(prefix):] if name.startswith(prefix) else name
    return
  for folder, _, names in os.walk(path):
    for n in sorted(names):
      yield os.path.relpath(os.path.join(folder, n), path)


def loadable(path: str):
  """What np.load and friends read `path` from: the local path itself (so that the file is
  closed with the array file), or a remote object's bytes in memory."""
  return io.BytesIO(read_bytes(path)) if is_remote(path) else path


def read_bytes(path: str) -> bytes:
  """The bytes of the file at `path` (FileNotFoundError if there is none)."""
  if is_remote(path):
    return _epath(path).read_bytes()
  with open(path, "rb") as f:
    return f.read()


def read_text(path: str) -> str:
  """The text of the file at `path`."""
  return read_bytes(path).decode()


def write_bytes(path: str, data: bytes) -> None:
  """Writes `data` at `path` atomically: a reader sees the old file or the new one. Locally
  a temporary file beside it renamed over it; on a bucket one upload."""
  if is_remote(path):
    _epath(path).write_bytes(data)
    return
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  tmp = f"{path}.tmp{os.path.splitext(path)[1]}"
  try:
    with open(tmp, "wb") as f:
      f.write(data)
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)


def append_line(path: str, line: str) -> None:
  """Adds `line` (with its newline) at the end of the file at `path`. Locally an append
  synced to disk (a crash keeps every earlier line whole); on a bucket, which cannot append,
  the object rewritten with the line added in one upload (a kill leaves it before or after
  the line, never torn)."""
  if is_remote(path):
    try:
      old = read_bytes(path)
    except FileNotFoundError:
      old = b""
    write_bytes(path, old + line.encode())
    return
  with open(path, "a") as f:
    f.write(line)
    f.flush()
    os.fsync(f.fileno())


def create_exclusive(path: str, data: bytes) -> bool:
  """Creates the file at `path` holding `data` only if nothing is there: True if this call
  created it, False if it existed. Of several processes racing, exactly one gets True (a
  local O_EXCL create; on a bucket an upload with the precondition ifGenerationMatch=0)."""
  if is_remote(path):
    try:
      _filesystem(path).pipe(path, data, mode="create")
    except FileExistsError:
      return False
    return True
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  try:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
  except FileExistsError:
    return False
  with os.fdopen(fd, "wb") as f:
    f.write(data)
  return True


def rmtree(path: str) -> None:
  """Deletes the folder `path` with everything under it; nothing if there is none."""
  if is_remote(path):
    p = _epath(path)
    if p.exists():
      p.rmtree()
    return
  shutil.rmtree(path, ignore_errors=True)


def copytree(src: str, dst: str, skip=lambda rel: False) -> None:
  """Copies every file under `src` to the same place under `dst` (files whose path relative
  to `src`, '/'-separated, `skip` accepts are left out)."""
  for rel in walk_files(src):
    if not skip(rel.replace(os.sep, "/")):
      write_bytes(join(dst, rel), read_bytes(join(src, rel)))


def check_reachable(path: str, what: str = "path") -> None:
  """Raises StorageError, one line naming `path`, unless its bucket exists and answers with
  the credentials at hand; for a local path only its scheme is checked. Called before any
  compute, so a typo in a bucket name costs seconds, not a training."""
  check_scheme(path, what)
  if not is_remote(path):
    return
  root, _ = _split(path)
  bucket = root.split("://", 1)[1]
  _check_route(path, what)
  gcsfs_log = logging.getLogger("gcsfs")
  level = gcsfs_log.level
  gcsfs_log.setLevel(logging.CRITICAL)  # its retries' tracebacks: the error below says it all
  try:
    fs = _filesystem(path)
    fs.call("GET", "b/{}", bucket, json_out=True)  # the bucket's metadata, after gcsfs's retries
  except FileNotFoundError:
    raise StorageError(f"{what}={path}: bucket '{bucket}' does not exist (create it, e.g. "
                       f"gcloud storage buckets create {root})") from None
  except PermissionError as e:
    raise StorageError(f"{what}={path}: no access to bucket '{bucket}' with these "
                       f"credentials ({_first_line(e)}); run `gcloud auth application-default "
                       "login` or use a service account that may read and write it") from None
  except Exception as e:  # pylint: disable=broad-except  (auth and network errors vary)
    kind = type(e).__name__
    if "credential" in kind.lower() or "auth" in kind.lower() or "token" in str(e).lower():
      raise StorageError(f"{what}={path}: no Google Cloud credentials ({_first_line(e)}); run "
                         "`gcloud auth application-default login` or set "
                         "GOOGLE_APPLICATION_CREDENTIALS") from None
    if isinstance(e, OSError) or "connect" in str(e).lower() or "timeout" in kind.lower():
      raise StorageError(f"{what}={path}: no route to the storage server ({kind}: "
                         f"{_first_line(e)})") from None
    raise StorageError(f"{what}={path}: cannot reach bucket '{bucket}' ({kind}: "
                       f"{_first_line(e)})") from None
  finally:
    gcsfs_log.setLevel(level)


def _check_route(path: str, what: str) -> None:
  """One TCP connection to the storage server (STORAGE_EMULATOR_HOST, else Cloud Storage's
  endpoint), so that no route fails in seconds rather than after gcsfs's retries. Skipped
  behind a proxy, where a direct connection says nothing."""
  if any(os.environ.get(v) for v in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                                     "http_proxy", "HTTP_PROXY")):
    return
  endpoint = os.environ.get("STORAGE_EMULATOR_HOST") or "https://storage.googleapis.com"
  url = urllib.parse.urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
  port = url.port or (443 if url.scheme == "https" else 80)
  try:
    socket.create_connection((url.hostname, port), timeout=10).close()
  except OSError as e:
    raise StorageError(f"{what}={path}: no route to the storage server {url.hostname}:{port} "
                       f"({type(e).__name__}: {_first_line(e)})") from None


def _first_line(e: BaseException) -> str:
  text = str(e).strip().splitlines()
  return text[0][:200] if text else type(e).__name__


def free_bytes(path: str) -> int | None:
  """Free space on the local disk holding `path`; None on a bucket (no such limit)."""
  if is_remote(path):
    return None
  folder = os.path.abspath(path)
  while not os.path.exists(folder):
    folder = os.path.dirname(folder)
  return shutil.disk_usage(folder).free


def is_disk_full(e: OSError) -> bool:
  """Whether an OSError says the disk or the quota is full."""
  return e.errno in (errno.ENOSPC, errno.EDQUOT)
