#!/usr/bin/env bash
# Creates .venv with Python 3.10 (via .python-version) and installs the frozen requirements in one pip run.
set -euo pipefail
cd "$(dirname "$0")/.."
want="$(cat .python-version)"
python_bin="$(command -v "python${want%.*}" || true)"
if command -v pyenv >/dev/null 2>&1; then
  python_bin="$(pyenv which python 2>/dev/null || echo "$python_bin")"
fi
[ -n "$python_bin" ] || { echo "Python $want is needed (pyenv install $want)" >&2; exit 1; }
version="$("$python_bin" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$version" != "${want%.*}" ]; then
  echo "Python ${want%.*} is needed, $python_bin is $version (install it with: pyenv install $want)" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python_bin ($version)"
  "$python_bin" -m venv .venv
fi
echo "==> installing requirements (rasa and friends: about 3 minutes the first time)"
.venv/bin/python -m pip install --quiet --upgrade "pip<25"
.venv/bin/python -m pip install --progress-bar on -r requirements.txt 2>&1 | grep -vE "^WARNING: Location .* is ignored" || true
.venv/bin/python -c "import rasa, rasa_sdk, twilio, sqlalchemy; assert sqlalchemy.__version__.startswith('1.4')"
