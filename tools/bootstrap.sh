#!/usr/bin/env bash
# Set up everything ttsai-plugin needs on a Debian machine (as root), then run a job:
#   bash tools/bootstrap.sh demo    the main job on the embedded local engine (no API key)
#   bash tools/bootstrap.sh test    the whole test suite (core, Blender 4.2/5.0/5.2, OBS)
#   bash tools/bootstrap.sh setup   only the setup
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-demo}
shift || true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

APT_PACKAGES=(espeak-ng ffmpeg sox curl xvfb xauth obs-studio libobs-dev gcc libc6-dev python3-dev python3-venv xdotool)
need_apt=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if ((${#need_apt[@]})); then
  say "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY311=$(command -v python3.11 || true)
[ -n "$PY311" ] || { echo "Python 3.11 is required (python3.11 not found)" >&2; exit 1; }

# pip's own chatter (build-backend notices, index warnings) goes to a log shown only on failure
pip_install() {  # venv-dir args...
  local venv=$1 log; shift
  log=$(mktemp)
  if ! "$venv/bin/pip" install -q "$@" >"$log" 2>&1; then
    grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -40 >&2
    rm -f "$log"; echo "pip install $* failed (see above)" >&2; exit 1
  fi
  rm -f "$log"
}

stamp() { sha256sum pyproject.toml constraints.txt tools/bootstrap.sh | sha256sum | cut -c1-16; }
venv_ok() { [ -x "$1/bin/python" ] && [ "$(cat "$1/.stamp" 2>/dev/null)" = "$2" ]; }

if ! venv_ok .venv "$(stamp)"; then
  say "creating .venv (Python 3.11) with ttsai-plugin, its engine and its offline models"
  rm -rf .venv
  "$PY311" -m venv .venv
  pip_install .venv --upgrade pip
  pip_install .venv -e '.[engine,neural,dev]' -c constraints.txt  # the versions CI tested
  stamp > .venv/.stamp
fi
export PATH="$ROOT/.venv/bin:$PATH"

link_cli() {  # `ttsai` on the user's PATH: /usr/local/bin when writable, else ~/.local/bin
  local dir link
  for dir in /usr/local/bin "$HOME/.local/bin"; do
    link="$dir/ttsai"
    mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ] || continue
    if [ -e "$link" ] && [ ! -L "$link" ]; then
      echo "not linking $link: another ttsai is installed there" >&2; return
    fi
    ln -sfn "$ROOT/.venv/bin/ttsai" "$link"
    case ":$PATH:" in *":$dir:"*) ;; *) echo "add $dir to your PATH to type ttsai anywhere" >&2 ;; esac
    say "ttsai is on your PATH: $link -> .venv/bin/ttsai"
    return
  done
  echo "could not link ttsai; run $ROOT/.venv/bin/ttsai or: source .venv/bin/activate" >&2
}

# Blender as a Python module, one venv per tested release.
find_python313() {  # a python3.13 that really runs (a pyenv shim may exist without a selected 3.13)
  local c
  for c in "$(command -v python3.13 2>/dev/null)" /root/.pyenv/versions/3.13*/bin/python3.13 \
           /usr/local/bin/python3.13 /usr/bin/python3.13; do
    [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import sys' 2>/dev/null && { echo "$c"; return; }
  done
  return 0
}
blender_venv() {  # name python bpy-version
  local dir=".venv-blender-$1" py=$2 ver=$3
  [ -n "$py" ] || { echo "skip Blender $1: its Python is not on this machine" >&2; return; }
  if ! venv_ok "$dir" "bpy==$ver"; then
    say "installing Blender $ver as a Python module into $dir"
    rm -rf "$dir"
    "$py" -m venv "$dir"
    pip_install "$dir" --upgrade pip
    pip_install "$dir" "bpy==$ver"
    echo "bpy==$ver" > "$dir/.stamp"
  fi
  # tests/blender run pytest inside Blender's Python
  "$dir/bin/python" -c 'import pytest' 2>/dev/null || pip_install "$dir" pytest
}

case "$MODE" in
  setup)
    link_cli
    blender_venv 4.2 "$PY311" 4.2.23
    blender_venv 5.0 "$PY311" 5.0.1
    blender_venv 5.2 "$(find_python313)" 5.2.3
    ;;
  demo)
    link_cli
    exec bash tools/demo.sh "$@"
    ;;
  test)
    blender_venv 4.2 "$PY311" 4.2.23
    blender_venv 5.0 "$PY311" 5.0.1
    blender_venv 5.2 "$(find_python313)" 5.2.3
    say "running the test suite"
    # The suite runs on the classical offline engine, the one the Blender extension ships;
    # the stories about the neural backends (the `neural` extra) switch it back on for
    # themselves, and bench/engine_quality.py measures both.
    export TTSAI_ENGINE_CLASSICAL=1
    # and Blender's offline story installs the companion Local Engine zip too (~1 min)
    export TTSAI_BLENDER_LOCAL_ENGINE=${TTSAI_BLENDER_LOCAL_ENGINE:-1}
    set +e
    python -m pytest -q -ra "$@"
    rc=$?
    set -e
    [ $rc -eq 5 ] && { echo "pytest collected no tests" >&2; exit 1; }
    exit $rc
    ;;
  *)
    echo "usage: bash tools/bootstrap.sh demo|test|setup" >&2; exit 2 ;;
esac
