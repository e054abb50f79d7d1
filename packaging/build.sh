#!/usr/bin/env bash
# Builds dist/chat, the chat as one executable file, from packaging/chat.spec (run by `make binary`).
# PyInstaller's work files go to build/binary/; nothing is written into the repository root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
.venv/bin/python -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/binary packaging/chat.spec
ls -l dist/chat
