#!/usr/bin/env bash
# Resolves requirements.in together with rasa's own pins in a scratch venv and freezes the result.
# By default the packages already in requirements.txt keep their versions (a new dependency never moves
# an old one); `make lock UPGRADE=1` re-resolves everything from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
"$(pyenv which python 2>/dev/null || command -v python3.10)" -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install --quiet "pip<25"
constraints=()
if [ -z "${UPGRADE:-}" ] && [ -f requirements.txt ]; then
  grep -vE '^\s*(#|$)' requirements.txt > "$scratch/constraints.txt"
  constraints=(-c "$scratch/constraints.txt")
fi
"$scratch/venv/bin/pip" install -r requirements.in "${constraints[@]}"
{ echo "# Frozen from requirements.in with 'make lock' (Python 3.10, rasa 3.6.21). Install with: pip install -r requirements.txt"
  "$scratch/venv/bin/pip" freeze; } > requirements.txt
echo "requirements.txt updated"
