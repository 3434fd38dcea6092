"""A 50-file batch through the real `ttsai` command (enhance, then transcribe) against the
local engine with 300 ms added per request, in its own process on loopback.

ours:     `ttsai enhance DIR -o out/` (default -j = the plan's concurrency), wall time of the
          whole command (start-up included).
bound:    the plan-concurrency bound, measured in the same run (before and after ours, the
          mean): a client that sends the very same uploads ours sends (encoded ahead, untimed)
          C at a time and discards the answers — no probing, extraction, cache or files. The latency-only bound ceil(n/C)·latency is
          printed beside it.
goal:     ours >= 0.9 of the bound, zero 429 answers.
resume:   the batch killed (SIGKILL: a crash) halfway, then run again: the rerun must request
          none of the files that were finished before the kill.

The engine child logs every request (path, status, the uploaded file's name) to a file, so
the figures count what reached the server.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _common

GOAL = 0.9
ENDPOINTS = {"enhance": "audio/enhance/", "transcribe": "stt/"}


def _tag(key: str) -> str:
    """Which key made a request, without writing the key itself into the log."""
    import hashlib
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def engine_child(config: dict) -> None:
    """The local engine on loopback, each request appended to ``config['log']``."""
    import logging

    from ttsai_plugin.local import EngineConfig, create_app
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    keys = config["keys"]
    app = create_app(EngineConfig(keys=keys, credits={k: 1e9 for k in keys},
                                  latency=config["latency"]))
    lock = threading.Lock()
    log = open(config["log"], "a", encoding="utf-8")

    def logged(environ, start_response):
        seen = {}

        def start(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)
        body = app(environ, start)
        with lock:
            log.write(json.dumps({"path": environ.get("PATH_INFO", ""), "status": seen.get("status"),
                                  "key": _tag(environ.get("HTTP_AUTHORIZATION", "")[7:]),
                                  "t": time.time()}) + "\n")
            log.flush()
        return body

    from _engine_proc import serve_until_stdin_closes
    serve_until_stdin_closes(logged)


class Engine:
    def __init__(self, latency: float, keys: dict[str, str], log: Path) -> None:
        cfg = json.dumps({"latency": latency, "keys": keys, "log": str(log)})
        self.log = log
        self.proc = subprocess.Popen([sys.executable, __file__, "--engine-child", cfg],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError(f"the engine did not start ({self.url!r})")

    def requests(self, key: str, endpoint: str) -> list[dict]:
        rows = [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]
        return [r for r in rows if r["key"] == _tag(key) and r["path"].endswith(endpoint)]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def make_files(folder: Path, n: int, seconds: float) -> list[Path]:
    """``n`` different takes of real espeak-ng speech, ``seconds`` long each."""
    from tests import media_factory
    folder.mkdir(parents=True, exist_ok=True)
    one = media_factory.speech(_common.cache_dir(), "batch-take.wav",
                               text="This take is one of many in the batch, cleaned and "
                                    "transcribed by the command line.")
    files = []
    for i in range(n):
        out = folder / f"take-{i + 1:03d}.wav"
        subprocess.run([_common.ffmpeg(), "-v", "error", "-y", "-ss", f"{(i % 7) * 0.05:.2f}",
                        "-i", str(one), "-t", f"{seconds}", "-af", f"volume={0.5 + i / (2 * n):.3f}",
                        "-c:a", "pcm_s16le", str(out)], check=True)
        files.append(out)
    return files


def ttsai(args: list[str], env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ttsai_plugin.cli", *args], env=env,
                            cwd=_common.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)


def uploads_for(command: str, files: list[Path], folder: Path) -> list[Path]:
    """What ours uploads for each file (``media.encode_for_upload`` for the endpoint), made
    ahead, untimed: the bound's requests cost the server exactly what ours do."""
    from ttsai_plugin import media
    op = {"enhance": "enhance", "transcribe": "stt"}[command]
    out = []
    for i, f in enumerate(files):
        d = folder / f"{command}-{i:03d}"
        d.mkdir(parents=True, exist_ok=True)
        out += media.encode_for_upload(f, d, endpoint=op)
    return out


def bound_client(url: str, key: str, endpoint: str, files: list[Path], c: int) -> None:
    """The plan-concurrency bound: the same uploads, ``c`` at a time, answers discarded."""
    import httpx

    def one(path: Path) -> None:
        with httpx.Client(timeout=None) as http, open(path, "rb") as f:
            r = http.post(url + endpoint, headers={"Authorization": f"Bearer {key}"},
                          files={"file": (path.name, f, "application/octet-stream")},
                          data={"language": "en"} if endpoint == "stt/" else {})
            if r.status_code != 200:
                raise RuntimeError(f"the bound client got HTTP {r.status_code}: {r.text[:200]}")
    with ThreadPoolExecutor(max_workers=c) as pool:
        list(pool.map(one, files))


def env_for(tmp: Path, name: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("TTSAI_")}
    e.update(TTSAI_CACHE_DIR=str(tmp / f"cache-{name}"), XDG_STATE_HOME=str(tmp / f"state-{name}"),
             PYTHONPATH=str(_common.ROOT))
    return e


def run_command(command: str, eng: Engine, key: str, files_dir: Path, tmp: Path, n: int,
                latency: float, c: int, files: list[Path]) -> bool:
    out = tmp / f"out-{command}"
    extra = ["--format", "txt"] if command == "transcribe" else []
    uploads = uploads_for(command, files, tmp / "uploads")
    bound_key = f"sk-tts-bench-bound-{command}"
    before = _common.timed(bound_client, eng.url, bound_key, ENDPOINTS[command], uploads, c)
    if before.error is not None:
        raise before.error
    t = time.perf_counter()
    started = ttsai(["presets", "-q"], env_for(tmp, command))
    started.communicate()
    start_up = time.perf_counter() - t
    t0 = time.perf_counter()
    proc = ttsai([command, str(files_dir), "-o", f"{out}/", "-q", "--api-key", key,
                  "--base-url", eng.url, *extra], env_for(tmp, command))
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"ttsai {command} failed ({proc.returncode}): {err[-2000:]}")
    made = len(list(out.glob("*")))
    seen = eng.requests(key, ENDPOINTS[command])
    four29 = sum(r["status"] == 429 for r in seen)

    after = _common.timed(bound_client, eng.url, bound_key + "-2", ENDPOINTS[command], uploads, c)
    if after.error is not None:
        raise after.error
    b = _common.Timed((before.seconds + after.seconds) / 2, None, None)
    latency_bound = math.ceil(n / c) * latency
    efficiency = b.seconds / wall
    print(f"-- {command}: {n} files of {files and _dur(files[0]):.1f} s, plan pro ({c} at once)")
    print(f"  ours:  {wall:6.2f} s for `ttsai {command} DIR -o out/` -> {made} files, "
          f"{len(seen)} requests, {four29} answers 429")
    print(f"         of which {start_up:.2f} s is the command's start-up (`ttsai presets`)")
    print(f"  bound: {b.seconds:6.2f} s (mean of {before.seconds:.2f} s before and "
          f"{after.seconds:.2f} s after ours) for the same {n} uploads {c} at a time, answers "
          f"discarded; latency-only bound {latency_bound:.2f} s ({math.ceil(n / c)} rounds)")
    print(f"  ours reaches {efficiency:.2f} of the plan-concurrency bound "
          f"({latency_bound / wall:.2f} of the latency-only bound)")
    met = efficiency >= GOAL and four29 == 0 and made == n
    _common.result(f"batch_{command}_{n}", ours=wall, baseline=b.seconds, unit="s",
                   goal=f">={GOAL}_of_bound_{b.seconds:.2f}s_and_0x429(got_{efficiency:.2f},"
                        f"{four29}x429)", met=met)
    return met


def _dur(path: Path) -> float:
    from ttsai_plugin import media
    return media.duration(path)


def run_resume(eng: Engine, key: str, files_dir: Path, tmp: Path, n: int) -> bool:
    """Kill the batch halfway (SIGKILL), run it again: nothing finished is requested again."""
    out = tmp / "out-resume"
    env = env_for(tmp, "resume")
    args = ["enhance", str(files_dir), "-o", f"{out}/", "--api-key", key, "--base-url", eng.url]
    proc = ttsai(args, env, start_new_session=True)
    done_before = 0
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        done_before = len([p for p in out.glob("*.wav")]) if out.exists() else 0
        if done_before >= n // 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    settled, last = time.monotonic(), -1
    while time.monotonic() - settled < 3.0:  # the engine logs the killed run's in-flight requests
        now = len(eng.requests(key, ENDPOINTS["enhance"]))  # when it has answered them
        if now != last:
            settled, last = time.monotonic(), now
        time.sleep(0.2)
    finished = sorted(p.name.replace(".clean.wav", ".wav") for p in out.glob("*.clean.wav"))
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    first = len(eng.requests(key, ENDPOINTS["enhance"]))

    again = ttsai(args + ["-q"], env)
    _, err = again.communicate()
    if again.returncode != 0:
        raise RuntimeError(f"the resumed batch failed: {err[-2000:]}")
    answered = eng.requests(key, ENDPOINTS["enhance"])[first:]
    second = [r for r in answered if r["status"] != 429]  # a refusal is not work asked again
    complete = len(list(out.glob("*.clean.wav")))
    print(f"-- resume: killed after {len(finished)} of {n} files were finished "
          f"({first} requests had reached the engine, in-flight ones included; "
          f"{len(leftovers)} hidden work folder(s) left by the kill, swept by the rerun: "
          f"{len([p for p in out.iterdir() if p.name.startswith('.')])} left after it)")
    print(f"  rerun: {len(second)} requests for the {n - len(finished)} unfinished files (and "
          f"{len(answered) - len(second)} answered 429 while the killed run's requests still "
          f"held the engine's slots, then retried); "
          f"{complete} of {n} outputs now (every unfinished file needs one request, so "
          f"no more than {n - len(finished)} means none finished was asked again)")
    expected = n - len(finished)
    met = len(second) <= expected and complete == n
    _common.result(f"batch_resume_{n}", ours=len(second), baseline=n,
                   goal=f"<={expected}_requests(none_for_the_{len(finished)}_finished)", met=met)
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each take")
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--commands", default="enhance,transcribe",
                        help="which batches to time (the resume figure always runs)")
    parser.add_argument("--engine-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_child:
        engine_child(json.loads(args.engine_child))
        return
    from ttsai_plugin.api.limiter import PLANS
    c = PLANS["pro"].concurrent
    _common.banner("batch")
    keys = {f"sk-tts-bench-{name}": "pro" for name in ("enhance", "transcribe", "resume")}
    keys.update({f"sk-tts-bench-bound-{name}{n}": "pro" for name in ("enhance", "transcribe")
                 for n in ("", "-2")})
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_files(tmp / "takes", args.files, args.seconds)
        eng = Engine(args.latency, keys, tmp / "requests.jsonl")
        try:
            for command in [c for c in args.commands.split(",") if c]:
                run_command(command, eng, f"sk-tts-bench-{command}", tmp / "takes", tmp,
                            args.files, args.latency, c, files)
            run_resume(eng, "sk-tts-bench-resume", tmp / "takes", tmp, args.files)
        finally:
            eng.close()


if __name__ == "__main__":
    main()
