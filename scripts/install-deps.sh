#!/usr/bin/env bash
# Installs the Debian packages libdeep needs to build, test and run its examples.
# The list lives in scripts/debian-packages.txt (one package a line) so that the README,
# CI and this script never disagree. Uses sudo when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' scripts/debian-packages.txt)

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps.sh: run as root or install sudo; needed: ${packages[*]}" >&2
    exit 1
fi

"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${packages[@]}"
