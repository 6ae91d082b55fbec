#!/usr/bin/env bash
# Checks the Python binding the way bindings/python/README.md tells a user to install it:
#   * the C library installed (here into a staging directory, as check-consumer.sh does);
#   * `pip install --no-build-isolation ./bindings/python` into a fresh venv made with
#     --system-site-packages (numpy and setuptools from Debian; nothing is downloaded);
#   * `python -c 'import libdeep; print(libdeep.__version__)'` prints the header's version,
#     both with LIBDEEP_LIBRARY and through the dynamic loader (LD_LIBRARY_PATH);
#   * the pytest suite (from the checkout) passes against the installed package
#     (LIBDEEP_TEST_INSTALLED=1).
# The source is copied first, so that pip's in-tree build leaves the checkout clean.
#
# Usage: scripts/check-python.sh BUILD_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "$1")
cd "$root"
python=/usr/bin/python3

fail() { printf 'check-python: FAIL: %s\n' "$1" >&2; exit 1; }

version=$(scripts/version.sh include/deep.h)
major=${version%%.*}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/stage" --quiet
so=$(find "$tmp/stage" -name "libdeep.so.$major" | head -n 1)
[ -n "$so" ] || fail "no libdeep.so.$major was installed"
libdir=$(dirname "$so")

cp -r bindings/python "$tmp/src"
rm -rf "$tmp/src/build" "$tmp/src"/*.egg-info
"$python" -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --no-build-isolation --no-index "$tmp/src"

cd "$tmp"   # not the source tree: import the installed package
got=$(LIBDEEP_LIBRARY="$so" "$tmp/venv/bin/python" -c 'import libdeep; print(libdeep.__version__)')
[ "$got" = "$version" ] || fail "libdeep.__version__ is '$got', expected '$version'"
got=$(env -u LIBDEEP_LIBRARY LD_LIBRARY_PATH="$libdir" "$tmp/venv/bin/python" -c \
    'import libdeep; print(libdeep.library_version, libdeep.library_path)')
[ "${got%% *}" = "$version" ] || fail "through the dynamic loader: got '$got'"
echo "import libdeep: $version (found through the loader as ${got#* })"

LIBDEEP_LIBRARY="$so" LIBDEEP_TEST_INSTALLED=1 PYTHONDONTWRITEBYTECODE=1 \
    "$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/python/tests"
echo "check-python: OK"
