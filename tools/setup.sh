#!/usr/bin/env bash
# Installs everything Jumin needs on a Debian machine, idempotently: Debian packages (as root),
# the virtual environment in .venv and the Python packages from pyproject.toml.
# A second run only checks stamps and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# libpango*: WeasyPrint renders certificates with Pango (issue 6). chromium: Playwright browser tests.
DEBIAN_PACKAGES=(fonts-ipamj-mincho fonts-ipaexfont postgresql poppler-utils libharfbuzz-subset0
  libpango-1.0-0 libpangoft2-1.0-0 chromium)
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}. Run 'sudo $0' once, or install them with apt-get." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the packaged PostgreSQL service from starting: tests use throwaway clusters.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored: it is neither" || true
  .venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither" || true
  .venv/bin/python -c "import django, jumin" # fail loudly if the install did not work
  rm -f .venv/.installed-*
  touch "$stamp"
fi
