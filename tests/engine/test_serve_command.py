"""`ttsai serve` as a user runs it: a process that prints its URL and serves until Ctrl-C."""
from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx

RUN = "import sys; from ttsai_plugin.local import main; sys.exit(main(sys.argv[1:]))"


def test_serve_prints_its_url_serves_the_given_key_and_plan_and_stops_on_ctrl_c():
    proc = subprocess.Popen([sys.executable, "-c", RUN, "--port", "0", "--key", "sk-tts-mine",
                             "--plan", "enterprise", "--latency", "0.01"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/v1/", line).group(0)
        assert "enterprise" in line and "sk-tts-mine" not in line
        ok = httpx.get(url + "models/", headers={"Authorization": "Bearer sk-tts-mine"},
                       trust_env=False)
        dev = httpx.get(url + "models/", headers={"Authorization": "Bearer sk-tts-local-dev"},
                        trust_env=False)
        assert ok.status_code == 200 and ok.headers["X-RateLimit-Limit"] == "300"
        assert dev.status_code == 401  # only the keys given are accepted
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_serve_refuses_a_fault_rate_outside_0_to_1():
    proc = subprocess.run([sys.executable, "-c", RUN, "--fault-rate", "2"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and "between 0 and 1" in proc.stderr


def test_serve_refuses_a_port_out_of_range_instead_of_wrapping_it():
    """--port 99999 used to serve on 34463 (99999 mod 65536) and print that, unasked."""
    proc = subprocess.run([sys.executable, "-c", RUN, "--port", "99999"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and "99999 is not a port" in proc.stderr
    assert "http://" not in proc.stdout
