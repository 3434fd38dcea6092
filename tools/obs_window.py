"""The real OBS Studio as the window check runs it: a first-run-free config with the script in
its scene collection, the environment of a desktop start, and the X11 side (display, mouse
clicks with xdotool, screenshots with ffmpeg, quitting as a user does)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "host_adapters" / "obs" / "ttsai_obs.py"
SCENE = "Stream"
WS_PORT = 4455
SCREEN = (1280, 800)
SCRIPTS_WINDOW = (775, 492)


# --- setting up OBS's home -------------------------------------------------------------------

def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def obs_home(home: Path, recordings: Path, script_settings: dict) -> None:
    """A first-run-free OBS config: a profile recording small MKVs, obs-websocket on without a
    password, and a scene collection with one scene and the script loaded."""
    cfg = home / ".config" / "obs-studio"
    _write(cfg / "global.ini", "[General]\nFirstRun=true\nEnableAutoUpdates=false\n"
           "LastVersion=486539266\n\n[Basic]\nProfile=Check\nProfileDir=Check\n"
           "SceneCollection=Check\nSceneCollectionFile=Check\nConfigOnNewProfile=false\n\n"
           f"[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort={WS_PORT}\n"
           "AlertsEnabled=false\nAuthRequired=false\n")
    _write(cfg / "basic" / "profiles" / "Check" / "basic.ini",
           "[General]\nName=Check\n\n[Output]\nMode=Simple\n\n[SimpleOutput]\n"
           f"FilePath={recordings}\nRecFormat=mkv\nRecQuality=Stream\nRecEncoder=x264\n"
           "VBitrate=800\nABitrate=128\nPreset=ultrafast\n\n[Video]\nBaseCX=640\nBaseCY=360\n"
           "OutputCX=640\nOutputCY=360\nFPSType=0\nFPSCommon=30\n\n[Audio]\n"
           "SampleRate=48000\nChannelSetup=Stereo\n")
    collection = {"name": "Check", "current_scene": SCENE, "current_program_scene": SCENE,
                  "scene_order": [{"name": SCENE}],
                  "sources": [{"id": "scene", "versioned_id": "scene", "name": SCENE,
                               "settings": {"items": [], "id_counter": 0}}],
                  "modules": {"scripts-tool": [{"path": str(SCRIPT),
                                                "settings": script_settings}]}}
    _write(cfg / "basic" / "scenes" / "Check.json", json.dumps(collection, indent=1))


def obs_env(home: Path, display: str) -> dict[str, str]:
    """OBS started as from a desktop: no virtualenv on PATH, its own HOME and display."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "TTSAI_API_KEY",
                        "TTSAI_BASE_URL", "TTSAI_PLUGIN_PATH", "WAYLAND_DISPLAY")}
    env["PATH"] = os.pathsep.join(d for d in env.get("PATH", "").split(os.pathsep)
                                  if d and not (Path(d).parent / "pyvenv.cfg").exists())
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"),
               DISPLAY=display, QT_QPA_PLATFORM="xcb", LIBGL_ALWAYS_SOFTWARE="1")
    return env


# --- the window -------------------------------------------------------------------------------

def free_display() -> str:
    n = 90
    while Path(f"/tmp/.X11-unix/X{n}").exists() or Path(f"/tmp/.X{n}-lock").exists():
        n += 1
    return f":{n}"


def screenshot(display: str, out: Path, box: tuple[int, int, int, int] | None = None) -> Path:
    """A PNG of the display, or of ``box`` = (x, y, w, h) on it, without the mouse pointer
    (resting on the page, it hid the first letters of the labels under it)."""
    x, y, w, h = box or (0, 0, *SCREEN)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "x11grab", "-draw_mouse", "0",
                    "-video_size", f"{w}x{h}", "-i", f"{display}+{x},{y}", "-frames:v", "1",
                    str(out)], check=True)
    return out


def xdo(display: str, *args: str) -> str:
    return subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True).stdout.strip()


def window_box(display: str, name: str) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the first visible window whose title matches ``name``."""
    found = xdo(display, "search", "--onlyvisible", "--name", name).split()
    if not found:
        return None
    geo = xdo(display, "getwindowgeometry", "--shell", found[0])
    v = dict(line.split("=", 1) for line in geo.splitlines() if "=" in line)
    return int(v["X"]), int(v["Y"]), int(v["WIDTH"]), int(v["HEIGHT"])


def click(display: str, x: int, y: int) -> None:
    xdo(display, "mousemove", str(x), str(y), "click", "1")


REFRESH, CLOSE, PANE, STATUS = (543, 188), (729, 462), (470, 350), (520, 153)
"""In the Scripts dialog at its default size: the script's Refresh button, Close, its page,
and the start of the status line (its tooltip holds the whole message)."""
IDLE = (600, 462)
"""An empty spot of the dialog's bottom row: the mouse rests there without a tooltip."""
EDGE_X, EDGE_ROWS, MARGIN = 736, (140, 425), (450, 300)
"""In that dialog: the strip between the page's groups and its scrollbar (only background
while the page keeps to the window), its rows, and a point of the pane's background."""
TOOLS_MENU = (378, 12)
SCRIPTS_ITEM = (389, 146)
"""Where Tools and Tools → Scripts sit in OBS 29's main window (Debian's fonts, English)."""


def open_scripts_window(display: str) -> tuple[int, int, int, int] | None:
    """Tools → Scripts by mouse, as a user opens it; the dialog's (x, y, w, h)."""
    for _ in range(3):
        main = window_box(display, "^OBS [0-9]")
        if main is None:
            time.sleep(1.0)
            continue
        click(display, main[0] + TOOLS_MENU[0], main[1] + TOOLS_MENU[1])
        time.sleep(1.0)
        click(display, main[0] + SCRIPTS_ITEM[0], main[1] + SCRIPTS_ITEM[1])
        time.sleep(2.0)
        box = window_box(display, "^Scripts$")
        if box is not None:
            return box
        xdo(display, "key", "Escape")
    return None


def quit_obs(obs: subprocess.Popen, display: str) -> None:
    """Quit as a user does (SIGINT is OBS's own clean quit on Linux; else the Exit button),
    so OBS unloads the script and reports its leaks."""
    for attempt in ("sigint", "exit", "kill"):
        if obs.poll() is not None:
            return
        if attempt == "sigint":
            obs.send_signal(signal.SIGINT)
        elif attempt == "exit":
            main = window_box(display, "^OBS [0-9]")
            if main is not None:  # Controls → Exit, at the window's bottom right
                click(display, main[0] + main[2] - 100, main[1] + main[3] - 47)
        else:
            obs.kill()
        try:
            obs.wait(30)
        except subprocess.TimeoutExpired:
            continue


def hover_screenshot(display: str, box: tuple[int, int, int, int], at: tuple[int, int],
                     out: Path) -> Path:
    """The screen around the dialog while the mouse rests on ``at`` (dialog coordinates), so
    the tooltip shows as a user sees it; Qt shows it only after the mouse rests a while, later
    on a loaded machine, so this waits until the screen changes (three tries)."""
    x, y = max(0, box[0] - 100), max(0, box[1] - 20)
    area = (x, y, min(SCREEN[0] - x, box[2] + 300), min(SCREEN[1] - y, box[3] + 60))
    xdo(display, "mousemove", str(box[0] + IDLE[0]), str(box[1] + IDLE[1]))
    time.sleep(0.5)
    before = _pixels(screenshot(display, out, area), 0, 0, area[2], area[3])
    for _ in range(3):
        xdo(display, "mousemove", str(box[0] + at[0] - 3), str(box[1] + at[1]))
        time.sleep(0.3)
        xdo(display, "mousemove", str(box[0] + at[0]), str(box[1] + at[1]))
        time.sleep(2.0)
        shot = screenshot(display, out, area)
        changed = sum(a != b for a, b in zip(before, _pixels(shot, 0, 0, area[2], area[3])))
        if changed > 2000:  # a tooltip, not a hover highlight
            break
    xdo(display, "mousemove", str(box[0] + IDLE[0]), str(box[1] + IDLE[1]))  # tooltip away
    time.sleep(0.5)
    return shot


def scroll_pages(display: str, box: tuple[int, int, int, int], stem: Path) -> list[Path]:
    """Screenshots of the script's page from top to bottom, scrolled as a user scrolls."""
    pages: list[Path] = []
    x, y = box[0] + PANE[0], box[1] + PANE[1]
    for n in range(1, 10):
        pages.append(screenshot(display, Path(f"{stem}-{n}.png"), box))
        if n > 1 and pages[-1].read_bytes() == pages[-2].read_bytes():
            pages.pop().unlink()
            break
        xdo(display, "mousemove", str(x), str(y), "click", "--repeat", "4", "5")
        time.sleep(0.7)
    return pages


def _pixels(png: Path, x: int, y: int, w: int, h: int) -> list[bytes]:
    raw = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(png), "-vf",
                          f"crop={w}:{h}:{x}:{y}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return [raw[i:i + 3] for i in range(0, len(raw), 3)]


def page_overflows(png: Path) -> bool:
    """Whether the script's page runs past the right edge in a screenshot of the Scripts dialog:
    OBS lets a rebuilt page (Refresh) grow to its widest field, cutting 'Show' and 'Browse'
    off, and then group boxes fill the strip that is otherwise background."""
    background = _pixels(png, *MARGIN, 1, 1)[0]
    top, bottom = EDGE_ROWS
    return any(px != background for px in _pixels(png, EDGE_X, top, 1, bottom - top))
