"""pytest set-up of the Python tests: one data directory for the session.

The library reads P2P_HOME (and P2P_LISTEN, P2P_DISCOVERY) at the first
PeerGroupStartup of the process, from the C environment that os.environ
updates, so setting them here, before any test starts the library, is
enough: the tests never touch the user's own data directory.
"""

import os
import shutil
import tempfile

import pytest

_home = tempfile.mkdtemp(prefix="p2p-pytest-")
os.environ["P2P_HOME"] = os.path.join(_home, "home")
os.environ["P2P_LISTEN"] = "127.0.0.1:0"
os.environ["P2P_DISCOVERY"] = "0"


@pytest.fixture(scope="session", autouse=True)
def _remove_home():
    yield
    shutil.rmtree(_home, ignore_errors=True)
