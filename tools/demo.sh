#!/usr/bin/env bash
# The main job on the embedded local engine: no API key, no network.
# Makes real media with espeak-ng and ffmpeg in out/demo/, runs the five everyday commands,
# then prints what was made. Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO=out/demo
unset TTSAI_API_KEY TTSAI_BASE_URL || true
export TTSAI_CACHE_DIR="$ROOT/$DEMO/.cache"   # a repeat run is instant and costs nothing

if [ -x .venv/bin/ttsai ]; then PATH="$ROOT/.venv/bin:$PATH"; fi
command -v ttsai >/dev/null || { echo "ttsai is not installed: run bash tools/bootstrap.sh setup" >&2; exit 1; }
FFMPEG=$(command -v ffmpeg || python -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')
command -v espeak-ng >/dev/null || { echo "espeak-ng is missing: apt-get install espeak-ng" >&2; exit 1; }

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
ff() { "$FFMPEG" -nostdin -hide_banner -loglevel error -y "$@"; }

mkdir -p "$DEMO"
say "making demo media in $DEMO (espeak-ng + ffmpeg)"
espeak-ng -v en-us -s 170 -w "$DEMO/.talk-raw.wav" \
  "Hello and welcome to the show. Today we clean up noisy audio and translate it into Spanish. Thank you for watching, and see you next time."
ff -f lavfi -i "testsrc=size=640x360:rate=25" -i "$DEMO/.talk-raw.wav" -shortest \
   -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 128k "$DEMO/talk.mp4"
cp "$DEMO/talk.mp4" "$DEMO/some_video.mp4"
ff -i "$DEMO/.talk-raw.wav" -f lavfi -i "anoisesrc=color=white:amplitude=0.04:seed=7" \
   -f lavfi -i "sine=frequency=50:sample_rate=48000" \
   -filter_complex "[0:a]aresample=48000[s];[2:a]volume=0.05[h];[s][1:a][h]amix=inputs=3:duration=first:normalize=0" \
   -ac 1 -ar 48000 "$DEMO/noisy.wav"
ff -f lavfi -i "aevalsrc=0.12*(sin(2*PI*261.63*t)+sin(2*PI*329.63*t)+sin(2*PI*392*t))+0.6*sin(2*PI*60*mod(t\,0.5)*exp(-8*mod(t\,0.5)))*exp(-25*mod(t\,0.5)):s=44100:d=12" \
   -ac 2 "$DEMO/song.wav"
cat > "$DEMO/script.txt" <<'EOF'
Welcome to the channel. In this video we build a voiceover from a script of any length.

The script is split at sentence ends, the parts are spoken in parallel, and they are joined back in order with natural pauses.
EOF
rm -f "$DEMO/.talk-raw.wav"

run() { say "ttsai $*"; ttsai "$@"; }
start=$(date +%s)
run dub "$DEMO/some_video.mp4" --to es -o "$DEMO/dubbed.wav"
run enhance "$DEMO/noisy.wav" -o "$DEMO/clean.wav" --preset stream-mic-cleanup
run stems "$DEMO/song.wav" --stems 2 -o "$DEMO/stems/"
run transcribe "$DEMO/talk.mp4" --srt "$DEMO/talk.srt"
run narrate --file "$DEMO/script.txt" -o "$DEMO/vo.wav"
run narrate "Welcome to TTS dot A I for Blender and OBS. This narration was made on your own machine." -o "$DEMO/narration.wav"

say "summary ($(( $(date +%s) - start )) s of processing, local engine, no API key)"
python - "$DEMO" <<'EOF'
import sys
from pathlib import Path
from ttsai_plugin import media
demo = Path(sys.argv[1])
for path in [demo / "dubbed.wav", demo / "clean.wav", *sorted((demo / "stems").glob("*.wav")),
             demo / "vo.wav", demo / "narration.wav"]:
    src = {"dubbed.wav": "some_video.mp4", "clean.wav": "noisy.wav"}.get(path.name)
    if src:
        samples, sr = media.decode(demo / src)
        extra = f"   (source audio {len(samples) / sr:6.2f} s)"
    else:
        extra = ""
    print(f"  {str(path):<34} {media.duration(path):6.2f} s{extra}")
srt = (demo / "talk.srt").read_text("utf-8")
print(f"  {str(demo / 'talk.srt'):<34} {srt.count(' --> ')} captions")
heard = " ".join(line for line in srt.splitlines()
                 if line.strip() and " --> " not in line and not line.strip().isdigit())
print(f"  heard: {heard}")
EOF
if [ -L /usr/local/bin/ttsai ] || [ -L "$HOME/.local/bin/ttsai" ]; then
  say "now try it yourself: ttsai --help   (batch: ttsai enhance $DEMO/*.wav -o $DEMO/clean/)"
else
  say "now try it yourself: $ROOT/.venv/bin/ttsai --help   (or: source .venv/bin/activate)"
fi
