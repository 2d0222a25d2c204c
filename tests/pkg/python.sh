#!/usr/bin/env bash
# python.sh - the Python package as a user installs it, tested from outside
# the repository (make test-python):
#
#   1. a virtual environment made by Debian's python3 (-m venv
#      --system-site-packages, so setuptools and pytest come from
#      python3-setuptools and python3-pytest);
#   2. pip install --no-build-isolation --no-index bindings/python: offline,
#      exactly the command the README gives;
#   3. pytest over tests/python from a temporary directory, against the
#      installed package (test_package.py checks it was not imported from
#      the source tree), with P2P_SOURCE_ROOT for the version check;
#   4. examples/python/hello.py from that directory.
#
# PYTHON picks the interpreter (default /usr/bin/python3, Debian's, not a
# pyenv shim on PATH). Leaves nothing behind but pip's build/ and
# *.egg-info in bindings/python (ignored by git).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p2p-python.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

"$PYTHON" -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check --no-build-isolation --no-index "$root/bindings/python"
echo "installed: $("$tmp/venv/bin/pip" show p2p | grep -E '^(Name|Version|Location):' | tr '\n' ' ')"

cd "$tmp"
export PYTHONDONTWRITEBYTECODE=1
# The library under test is this tree's, even if another is installed
# (test_package.py checks how the package finds one without P2P_LIB).
export P2P_LIB=$root/build/libp2p.so.1
P2P_SOURCE_ROOT=$root P2P_EXPECT_INSTALLED=1 \
	"$tmp/venv/bin/python" -m pytest -p no:cacheprovider -q "$root/tests/python"

out=$(P2P_HOME=$tmp/home "$tmp/venv/bin/python" "$root/examples/python/hello.py")
grep -qx done <<<"$out" || { echo "hello.py did not finish:"; echo "$out"; exit 1; }
echo "examples/python/hello.py ran from $tmp"
echo "PASS python package ($((SECONDS - start)) s)"
