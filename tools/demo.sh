#!/usr/bin/env bash
# The main job on the embedded local engine: no API key, no network.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
unset TTSAI_API_KEY || true
ttsai narrate "Welcome to TTS dot A I for Blender and OBS. This narration was made on your own machine." -o out/narration.wav
