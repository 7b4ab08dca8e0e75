#!/usr/bin/env bash
# Set up neurocompare on a fresh machine: a virtualenv in .venv with the locked versions.
# Idempotent: a second run only re-checks. Usage: ./scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.neurocompare-lock
if [ ! -f "$stamp" ] || ! cmp -s requirements.lock "$stamp"; then
  # torch is pinned to the 2.13.0 CPU build: an unpinned torch pulls a multi-GB CUDA build.
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
  cp requirements.lock "$stamp"
fi
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
# The only torchaudio wheel here is a CUDA build whose native libraries fail to load next to
# CPU torch, which breaks `import braindecode`. Without them torchaudio falls back to its
# pure-Python paths. Any reinstall brings them back, so this runs every time.
find .venv/lib/python3*/site-packages/torchaudio/lib -name '*.so' -delete 2>/dev/null || true
.venv/bin/python -c "import braindecode, neurocompare" 2>/dev/null \
  || { echo "setup: import check failed" >&2; exit 1; }
echo "setup: ready (.venv)"
