"""Tests for rsir_jax.data.download against a real HTTP server on 127.0.0.1."""

import gzip
import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import pytest

from rsir_jax.data import download
from rsir_jax.data.download import (
  ChecksumError,
  DatasetSpec,
  DatasetUnavailableError,
  locate_dataset,
)

CONTENT = b"".join(b"%d %d %d %d\n" % (u, u + 1, u + 2, u + 3) for u in range(1, 2000))
SHA = hashlib.sha256(CONTENT).hexdigest()
WRONG_SHA = "0" * 64


class _Server:
  """A threaded HTTP server serving `files` (URL path -> bytes), counting requests."""

  def __init__(self):
    self.files: dict[str, bytes] = {}
    self.requests: list[str] = []
    self.stall = threading.Event()  # while unset, paths under /slow/ hang
    server = self

    class Handler(http.server.BaseHTTPRequestHandler):
      def do_GET(self):
        server.requests.append(self.path)
        if self.path.startswith("/slow/"):
          server.stall.wait(10)
          return
        body = server.files.get(self.path)
        if body is None:
          self.send_error(404)
          return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

      def log_message(self, *args):
        pass

    self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    self.httpd.daemon_threads = True
    self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
    self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
    self.thread.start()

  def close(self):
    self.stall.set()
    self.httpd.shutdown()
    self.httpd.server_close()


@pytest.fixture
def server():
  s = _Server()
  s.files["/data/Tiny.txt"] = CONTENT
  yield s
  s.close()


@pytest.fixture
def tiny(monkeypatch):
  """Registers a small dataset 'tiny' whose registered hash matches CONTENT."""
  spec = DatasetSpec("tiny", "Tiny.txt", SHA)
  monkeypatch.setitem(download.DATASETS, "tiny", spec)
  monkeypatch.delenv("RSIR_DATA_URL", raising=False)
  return spec


def _closed_port_url() -> str:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
  return f"http://127.0.0.1:{port}/data/"  # nothing listens there any more


def test_download_verifies_and_caches(server, tiny, tmp_path):
  data_dir = tmp_path / "cache" / "rsir"  # does not exist yet
  path = locate_dataset("tiny", data_dir, base_url=server.url + "data/")
  assert path == data_dir / "Tiny.txt"
  assert path.read_bytes() == CONTENT
  assert os.listdir(data_dir) == ["Tiny.txt"]  # no temp file left behind
  assert server.requests == ["/data/Tiny.txt"]
  assert path.stat().st_mode & 0o777 == 0o644

  again = locate_dataset("tiny", data_dir, base_url=server.url + "data/")
  assert again == path
  assert server.requests == ["/data/Tiny.txt"]  # served from the cache, not downloaded again


def test_base_url_without_trailing_slash_and_env_url(server, tiny, tmp_path, monkeypatch):
  assert locate_dataset("tiny", tmp_path / "a", base_url=server.url + "data").is_file()
  monkeypatch.setenv("RSIR_DATA_URL", server.url + "data/")
  assert locate_dataset("tiny", tmp_path / "b").is_file()
  assert server.requests == ["/data/Tiny.txt", "/data/Tiny.txt"]


def test_download_checksum_mismatch_leaves_nothing(server, tiny, tmp_path, monkeypatch):
  monkeypatch.setitem(download.DATASETS, "tiny", DatasetSpec("tiny", "Tiny.txt", WRONG_SHA))
  data_dir = tmp_path / "d"
  with pytest.raises(ChecksumError) as info:
    locate_dataset("tiny", data_dir, base_url=server.url + "data/")
  message = str(info.value)
  assert WRONG_SHA in message and SHA in message and server.url in message
  assert os.listdir(data_dir) == []


def test_mirror_serving_gzip_is_accepted(server, tiny, tmp_path):
  server.files["/gz/Tiny.txt"] = gzip.compress(CONTENT)
  path = locate_dataset("tiny", tmp_path, base_url=server.url + "gz/")
  assert download.sha256_of_file(path) == SHA


def test_unreachable_server(tiny, tmp_path):
  url = _closed_port_url()
  with pytest.raises(DatasetUnavailableError) as info:
    locate_dataset("tiny", tmp_path, base_url=url)
  message = str(info.value)
  assert url + "Tiny.txt" in message
  assert str(tmp_path / "Tiny.txt") in message and SHA in message
  assert os.listdir(tmp_path) == []


def test_http_error(server, tiny, tmp_path):
  with pytest.raises(DatasetUnavailableError, match="HTTP 404") as info:
    locate_dataset("tiny", tmp_path, base_url=server.url + "missing/")
  assert str(tmp_path / "Tiny.txt") in str(info.value)
  assert os.listdir(tmp_path) == []


def test_timeout(server, tiny, tmp_path, monkeypatch):
  monkeypatch.setattr(download, "_TIMEOUT_S", 0.3)
  with pytest.raises(DatasetUnavailableError, match="slow/Tiny.txt"):
    locate_dataset("tiny", tmp_path, base_url=server.url + "slow/")
  assert os.listdir(tmp_path) == []


def test_unwritable_data_dir(server, tiny, tmp_path):
  blocker = tmp_path / "a_file"
  blocker.write_text("not a directory")
  data_dir = blocker / "sub"
  with pytest.raises(DatasetUnavailableError, match="not writable") as info:
    locate_dataset("tiny", data_dir, base_url=server.url + "data/")
  assert str(data_dir / "Tiny.txt") in str(info.value) and SHA in str(info.value)
  assert server.requests == []


def test_local_file_with_wrong_content(server, tiny, tmp_path):
  bad = tmp_path / "Tiny.txt"
  bad.write_bytes(CONTENT + b"1 2\n")
  with pytest.raises(ChecksumError) as info:
    locate_dataset("tiny", tmp_path, base_url=server.url + "data/")
  message = str(info.value)
  assert str(bad) in message and SHA in message
  assert hashlib.sha256(bad.read_bytes()).hexdigest() in message
  assert server.requests == []  # a bad local file is reported, not silently replaced


@pytest.mark.parametrize("name", ["Tiny.txt.gz", "tiny.txt", "tiny.txt.gz"])
def test_local_candidates_plain_or_gzip(server, tiny, tmp_path, name):
  data = gzip.compress(CONTENT) if name.endswith(".gz") else CONTENT
  (tmp_path / name).write_bytes(data)
  assert locate_dataset("tiny", tmp_path, base_url=server.url + "data/").name == name
  assert server.requests == []


def test_candidate_order():
  assert download.candidate_files(download.DATASETS["sports"]) == [
      "Sports_and_Outdoors.txt", "Sports_and_Outdoors.txt.gz", "sports_and_outdoors.txt",
      "sports_and_outdoors.txt.gz", "sports.txt", "sports.txt.gz"]
  assert download.candidate_files(download.DATASETS["beauty"]) == [
      "Beauty.txt", "Beauty.txt.gz", "beauty.txt", "beauty.txt.gz"]


def test_missing_without_download(tiny, tmp_path):
  with pytest.raises(DatasetUnavailableError) as info:
    locate_dataset("tiny", tmp_path, download=False)
  assert str(tmp_path / "Tiny.txt") in str(info.value) and SHA in str(info.value)


def test_unknown_dataset(tmp_path):
  with pytest.raises(ValueError, match="beauty, lastfm, sports, toys, yelp"):
    locate_dataset("movielens", tmp_path)


def test_registry():
  assert {n: s.source_file for n, s in download.DATASETS.items()} == {
      "beauty": "Beauty.txt", "sports": "Sports_and_Outdoors.txt", "toys": "Toys_and_Games.txt",
      "yelp": "Yelp.txt", "lastfm": "LastFM.txt"}
  assert all(len(s.sha256) == 64 and s.name == n for n, s in download.DATASETS.items())


def test_resolve_data_dir(monkeypatch, tmp_path):
  monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
  monkeypatch.setenv("RSIR_DATA_DIR", "")
  assert download.resolve_data_dir(None) == tmp_path / "xdg" / "rsir_jax"
  assert download.resolve_data_dir("") == tmp_path / "xdg" / "rsir_jax"
  assert download.resolve_data_dir(str(tmp_path / "cfg")) == tmp_path / "cfg"
  monkeypatch.setenv("RSIR_DATA_DIR", str(tmp_path / "env"))
  assert download.resolve_data_dir(str(tmp_path / "cfg")) == tmp_path / "env"
  monkeypatch.delenv("XDG_CACHE_HOME")
  assert download.default_cache_dir() == Path.home() / ".cache" / "rsir_jax"


def test_sha256_of_file_plain_and_gzip(tmp_path):
  (tmp_path / "a.txt").write_bytes(CONTENT)
  (tmp_path / "a.bin").write_bytes(gzip.compress(CONTENT))  # gzip found by magic bytes
  assert download.sha256_of_file(tmp_path / "a.txt") == SHA
  assert download.sha256_of_file(tmp_path / "a.bin") == SHA


def test_real_beauty_located_and_verified(monkeypatch):
  shared = (os.environ.get("RSIR_DATA_DIR")
            or Path(__file__).resolve().parents[2] / "shared" / "data")
  if not (Path(shared) / "beauty.txt.gz").is_file():
    pytest.skip(f"shared data file {Path(shared) / 'beauty.txt.gz'} not present")
  monkeypatch.setenv("RSIR_DATA_DIR", str(shared))
  monkeypatch.setenv("RSIR_DATA_URL", _closed_port_url())  # any download attempt would fail
  path = locate_dataset("beauty", download.resolve_data_dir("ignored/by/env"))
  assert path == Path(shared).absolute() / "beauty.txt.gz"
