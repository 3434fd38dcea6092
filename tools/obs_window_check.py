"""Check the script in the real OBS Studio window, installed as the README says.

Starts the real ``obs`` application on its own Xvfb display, in a network namespace of its own
(only loopback exists there, so OBS's websocket server and the local engine are reachable
from this process and nowhere else), with a scene collection that loads
``host_adapters/obs/ttsai_obs.py`` whose *Core folder* is a virtualenv made from the system's
Python 3.11 with the wheel of this checkout installed. It drives OBS through its built-in
obs-websocket (sources and scene items, recording start/stop, the script's hotkeys) and checks
cleanup after stop, dub, stems, narration and the mic chain end to end, OBS's responsiveness
while they run, who the log lines are attributed to, and that OBS quits with 0 leaks. It also
screenshots Tools → Scripts at OBS's default size (775×492).

    python tools/obs_window_check.py [--core VENV] [--out DIR]

Needs obs-studio 28+ (Debian 12: 29.0.2, with obs-websocket), xvfb, xdotool, ffmpeg,
util-linux's unshare and /usr/bin/python3.11. Prints one line per check and a RESULT line;
exits 1 when a check fails. See host_adapters/obs/README.md ("Checking in the real window").
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tools")]

from obs_window import (CLOSE, REFRESH, SCENE, SCREEN, SCRIPTS_WINDOW, STATUS,  # noqa: E402
                        WS_PORT, click, free_display, hover_screenshot, obs_env, obs_home,
                        open_scripts_window, page_overflows, quit_obs, screenshot,
                        scroll_pages, xdo)
from obs_ws import ObsWs, ObsWsError  # noqa: E402

NS_FLAG = "TTSAI_OBS_CHECK_IN_NS"


@dataclass
class Report:
    """Every check's outcome and the figures measured."""

    checks: list[tuple[bool, str]] = field(default_factory=list)
    figures: dict[str, float | str] = field(default_factory=dict)

    def check(self, ok: bool, what: str) -> bool:
        self.checks.append((bool(ok), what))
        print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
        return bool(ok)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for ok, _ in self.checks)


# --- media and waiting ------------------------------------------------------------------------

def wait_for(what: str, check, timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except (ObsWsError, OSError, ValueError):
            value = None
        if value:
            return value
        time.sleep(0.25)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def probe_tracks(path: Path) -> list[str]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries",
                          "stream_tags=title", "-of", "json", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return [s.get("tags", {}).get("title", "") for s in json.loads(out).get("streams", [])]


def frames_md5(path: Path) -> list[str]:
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy",
                          "-f", "framemd5", "-"], capture_output=True, text=True,
                         check=True).stdout
    return [line.rsplit(",", 1)[-1].strip() for line in out.splitlines()
            if line and not line.startswith("#")]


def loudness(path: Path, work: Path) -> float:
    from ttsai_plugin import media
    wav = media.extract(path, work / f"{path.stem}.loud.wav", stream=0)
    return media.loudness(wav)


# --- the run ----------------------------------------------------------------------------------

def run(core: Path, out: Path) -> Report:
    """Everything, inside the namespace: engine, OBS, the drive and the checks."""
    from tests import media_factory
    from ttsai_plugin.local import DEV_KEY, PLANS, EngineConfig, serve

    report = Report()
    out.mkdir(parents=True, exist_ok=True)
    media = out / "media"
    media.mkdir(exist_ok=True)
    clip = media_factory.video_with_speech(media)
    music = media_factory.music_mix(media, seconds=8.0)
    mic = media_factory.speech(media, "mic.wav")
    recordings, home = out / "recordings", out / "home"
    recordings.mkdir(exist_ok=True)

    engine = serve(EngineConfig(keys={DEV_KEY: "pro"}, plans=PLANS,
                                credits={DEV_KEY: 10_000}))
    os.environ["TTSAI_CONFIG"] = str(home / ".config" / "ttsai" / "config.toml")
    from ttsai_plugin.api import save_config
    save_config(api_key=DEV_KEY)  # what 'Save key' writes
    obs_home(home, recordings, {
        "core_path": str(core), "base_url": engine.url, "cleanup_auto": True,
        "cleanup_preset": "stream-mic-cleanup", "dub_language": "es",
        "narration_text": "Welcome back to the stream, everyone.", "voice": "af_bella",
        "stems_source": "Music", "stems_count": 2, "mic_source": "Mic",
        "mic_preset": "stream-mic-cleanup", "media_dir": str(out / "generated")})

    display = free_display()
    env = obs_env(home, display)
    env["TTSAI_CONFIG"] = os.environ["TTSAI_CONFIG"]
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    obs_log = open(out / "obs-stdout.txt", "w")
    obs = None
    try:
        time.sleep(1.0)
        start = time.monotonic()
        obs = subprocess.Popen(["obs", "--disable-shutdown-check", "--collection", "Check",
                                "--profile", "Check"], env=env, cwd=out, stdout=obs_log,
                               stderr=subprocess.STDOUT)
        ws = wait_for("obs-websocket", lambda: ObsWs(WS_PORT), 90)
        report.figures["obs_start_s"] = round(time.monotonic() - start, 1)
        log = lambda: "".join(p.read_text(errors="replace") for p in sorted(  # noqa: E731
            (home / ".config/obs-studio/logs").glob("*.txt")))
        loaded = wait_for("the script to load", lambda: re.search(
            r"\[(?:Python: )?ttsai_obs\.py\] \[TTS\.ai\] .*", log()), 60)
        report.check("core loaded" in loaded.group(0),
                     f"script loaded from the README install: {loaded.group(0)[:160]}")
        drive(ws, report, out, display, clip, music, mic, recordings)
        ws.close()
    finally:
        if obs is not None:
            quit_obs(obs, display)
            report.figures["obs_exit"] = obs.returncode
        xvfb.terminate()
        xvfb.wait(10)
        engine.close()
        obs_log.close()
    text = "".join(p.read_text(errors="replace") for p in sorted(
        (home / ".config/obs-studio/logs").glob("*.txt")))
    (out / "obs-log.txt").write_text(text)
    ours = [line for line in text.splitlines() if "ttsai_obs.py] [TTS.ai]" in line]
    strays = [line for line in text.splitlines() if "unknown script" in line.lower()]
    report.figures["script_log_lines"] = len(ours)
    report.check(ours and not strays, f"{len(ours)} log lines attributed to ttsai_obs.py, "
                 f"{len(strays)} to [Unknown Script]" + (f": {strays[0][:120]}" if strays else ""))
    leaks = re.findall(r"Number of memory leaks: (\d+)", text)
    worded = [line.split(": ", 1)[-1] for line in text.splitlines()
              if any(c.isalpha() for c in line)]
    last = worded[-1] if worded else ""
    report.check(leaks and leaks[-1] == "0", f"OBS quit with {leaks[-1] if leaks else '?'} "
                 f"memory leaks (exit status {report.figures.get('obs_exit')})"
                 + ("" if leaks else f"; its log stops at '{last[:80]}'"))
    return report


def drive(ws: ObsWs, report: Report, out: Path, display: str, clip: Path, music: Path,
          mic: Path, recordings: Path) -> None:
    """Sources by websocket, then each feature as a streamer uses it."""
    media_input = lambda name, path, loop: ws.call(  # noqa: E731
        "CreateInput", sceneName=SCENE, inputName=name, inputKind="ffmpeg_source",
        inputSettings={"is_local_file": True, "local_file": str(path), "looping": loop},
        sceneItemEnabled=True)
    media_input("Clip", clip, True)
    media_input("Music", music, True)
    media_input("Mic", mic, True)

    box = open_scripts_window(display)
    if box is None:
        screenshot(display, out / "scripts-not-opened.png")
    if report.check(box is not None and box[2:] == SCRIPTS_WINDOW,
                    f"Tools → Scripts opened at {box[2:] if box else None}"):
        xdo(display, "mousemove", str(box[0] + 60), str(box[1] + 40), "click", "1")
        time.sleep(1.5)
        report.figures["screenshot_loaded"] = str(screenshot(display, out / "scripts-loaded.png",
                                                             box))

    idle = max(ws.timed("GetVersion")[1] for _ in range(20))
    # Cleanup after a recording stops.
    ws.call("StartRecord")
    time.sleep(6.0)
    stopped = ws.call("StopRecord")
    stop_at = time.monotonic()
    recording = Path(stopped["outputPath"])
    clean = recording.with_name(f"{recording.stem}.clean.mkv")
    latencies = []

    def clean_ready() -> bool:
        latencies.append(ws.timed("GetVersion")[1])
        return clean.is_file()
    wait_for("the cleaned copy", clean_ready, 180)
    report.figures["clean_after_stop_s"] = round(time.monotonic() - stop_at, 1)
    report.figures["ws_latency_max_ms"] = round(max(latencies) * 1000, 1)
    same = frames_md5(clean) == frames_md5(recording)
    lufs = loudness(clean, out)
    report.figures["clean_lufs"] = round(lufs, 1)
    report.check(same and abs(lufs + 16) < 1.0, f"cleanup after stop: {clean.name} "
                 f"{report.figures['clean_after_stop_s']} s after stop, identical video: {same}, "
                 f"{lufs:.1f} LUFS")
    stats = ws.call("GetStats")
    report.figures["render_skipped_frames"] = stats.get("renderSkippedFrames", -1)
    report.check(max(latencies) < 3.0, f"OBS answered within {max(latencies) * 1000:.0f} ms "
                 f"throughout ({len(latencies)} requests; {idle * 1000:.0f} ms before any job), "
                 f"{stats.get('activeFps', 0):.1f} fps")

    # Dub: second audio track the original.
    ws.call("TriggerHotkeyByName", hotkeyName="ttsai.dub")
    dubbed = recording.with_name(f"{recording.stem}.dub-es.mkv")
    wait_for("the dubbed copy", dubbed.is_file, 180)
    tracks = probe_tracks(dubbed)
    report.check(tracks == ["Dub (es)", "Original"], f"dub: {dubbed.name} tracks {tracks}")

    # Stems of the Music source, added to the scene; the original muted.
    ws.call("TriggerHotkeyByName", hotkeyName="ttsai.stems")
    names = lambda: {i["inputName"] for i in ws.call("GetInputList")["inputs"]}  # noqa: E731
    stems_now = lambda: sorted(n for n in names() if n.startswith("Music ("))  # noqa: E731
    muted_now = lambda: ws.call("GetInputMute", inputName="Music")["inputMuted"]  # noqa: E731
    try:  # the script lands them in one main-loop call; the websocket may answer mid-way
        wait_for("the stems and the original muted",
                 lambda: len(stems_now()) == 2 and muted_now(), 180)
    except TimeoutError:
        pass  # reported below with what there is
    stems, muted = stems_now(), muted_now()
    items = [i["sourceName"] for i in ws.call("GetSceneItemList", sceneName=SCENE)["sceneItems"]]
    report.check(len(stems) == 2 and muted and all(s in items for s in stems),
                 f"stems: {stems} in '{SCENE}', Music muted: {muted}")

    # Narration plays through its Media Source.
    ws.call("TriggerHotkeyByName", hotkeyName="ttsai.narrate")
    wait_for("the narration source", lambda: "TTS.ai Narration" in names(), 120)
    state = wait_for("the narration to play", lambda: (lambda s: s if s.get(
        "mediaDuration") and s["mediaDuration"] > 1000 else None)(
        ws.call("GetMediaInputStatus", inputName="TTS.ai Narration")), 30)
    report.check(state["mediaState"] in ("OBS_MEDIA_STATE_PLAYING", "OBS_MEDIA_STATE_ENDED"),
                 f"narration: {state['mediaState']}, {state['mediaDuration'] / 1000:.1f} s")

    # The live mic chain.
    ws.call("TriggerHotkeyByName", hotkeyName="ttsai.mic_chain")
    filters = wait_for("the mic filters", lambda: ws.call(
        "GetSourceFilterList", sourceName="Mic")["filters"], 30)
    kinds = [f["filterKind"] for f in filters]
    report.check(len(kinds) == 4, f"mic chain on 'Mic': {kinds}")

    if box is not None:
        click(display, box[0] + REFRESH[0], box[1] + REFRESH[1])
        time.sleep(1.5)
        report.figures["screenshot_status_tip"] = hover_screenshot(
            display, box, STATUS, out / "scripts-status-tooltip.png").name
        pages = scroll_pages(display, box, out / "scripts-after")
        report.figures["screenshots_after"] = f"{len(pages)} pages, {pages[0].name}…"
        wide = [p.name for p in pages if page_overflows(p)]
        report.check(not wide, f"the page keeps to the {SCRIPTS_WINDOW[0]}×{SCRIPTS_WINDOW[1]} "
                     f"window after Refresh: {len(pages)} pages, "
                     + (f"past the right edge in {', '.join(wide)}" if wide else "none past "
                        "the right edge"))
        click(display, box[0] + CLOSE[0], box[1] + CLOSE[1])
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--core", type=Path, help="a virtualenv with ttsai-plugin installed "
                        "(default: build this checkout's wheel into a fresh one)")
    parser.add_argument("--out", type=Path, help="where files, screenshots and logs go")
    args = parser.parse_args(argv)
    missing = [t for t in ("obs", "Xvfb", "xdotool", "ffmpeg", "unshare") if not shutil.which(t)]
    if missing:
        print(f"cannot run: {', '.join(missing)} not installed", file=sys.stderr)
        return 2
    out = (args.out or Path(tempfile.mkdtemp(prefix="ttsai-obs-window-"))).resolve()
    if os.environ.get(NS_FLAG) != "1":
        core = args.core.resolve() if args.core else None
        if core is None:  # pip needs the package index: install before leaving the network
            from tests.obs.installed_core import build_and_install
            start = time.monotonic()
            out.mkdir(parents=True, exist_ok=True)
            core, _, _ = build_and_install(REPO, out)
            print(f"installed the wheel into {core} in {time.monotonic() - start:.0f} s",
                  flush=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--out", str(out), "--core",
               str(core)]
        return subprocess.run(["unshare", "--map-root-user", "--net", "sh", "-c",
                               'ip link set lo up && exec "$@"', "sh", *cmd],
                              env={**os.environ, NS_FLAG: "1"}).returncode
    start = time.monotonic()
    report = run(args.core, out)
    report.figures["total_s"] = round(time.monotonic() - start, 1)
    (out / "report.json").write_text(json.dumps({"checks": report.checks,
                                                 "figures": report.figures}, indent=1))
    passed = sum(ok for ok, _ in report.checks)
    print(f"RESULT obs-window: {passed}/{len(report.checks)} checks passed; "
          + ", ".join(f"{k}={v}" for k, v in report.figures.items()) + f"; files in {out}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
