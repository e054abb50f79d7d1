#!/usr/bin/env bash
# Builds dist/chat, one executable file, with NiceGUI's packager (nicegui-pack → PyInstaller).
# Run by `make binary`; the options live here so the build is the same everywhere.
# PyInstaller's spec and work files go to build/binary/, not into the repository root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv_bin="$root/.venv/bin"
work="$root/build/binary"

mkdir -p "$work" "$root/dist"
rm -f "$work/dist/chat"
cd "$work"
# nicegui-pack runs `python -m PyInstaller` from PATH: the venv's; PYTHONPATH makes PyInstaller find `app`
# in this checkout (the editable install's import hook is invisible to it).
PATH="$venv_bin:$PATH" PYTHONPATH="$root" "$venv_bin/nicegui-pack" \
  --onefile --name chat --noconfirm \
  --add-data "$root/app/store/migrations/*.py:app/store/migrations" \
  --add-data "$root/app/store/migrations/script.py.mako:app/store/migrations" \
  --add-data "$root/app/store/migrations/versions/*.py:app/store/migrations/versions" \
  --add-data "$root/app/ui/*.js:app/ui" \
  --add-data "$root/app/ui/static/*:app/ui/static" \
  "$root/packaging/chat_entry.py"
# nicegui-pack exits 0 even when PyInstaller fails: the missing file is the failure
test -x "$work/dist/chat" || { echo "make binary: PyInstaller did not produce dist/chat (see above)" >&2; exit 1; }
mv "$work/dist/chat" "$root/dist/chat"
ls -l "$root/dist/chat"
