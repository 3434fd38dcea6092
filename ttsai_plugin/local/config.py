"""Configuration of the local engine: plans, keys, credits, faults and where files go."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ttsai_plugin.api.config import DEV_KEY  # noqa: F401 - the engine's dev key, as clients know it

from .processing.blockwise import Blocks


@dataclass(frozen=True)
class Plan:
    """A plan's limits, as in the contract's *Plans and limits* table."""

    name: str
    requests_per_minute: int
    concurrent: int
    max_text_chars: int
    api_access: bool = True
    window_seconds: float = 60.0


PLANS: dict[str, Plan] = {
    p.name: p
    for p in (
        Plan("pro", 60, 5, 5_000),
        Plan("enterprise", 300, 20, 50_000),
        Plan("free", 10, 1, 1_000, api_access=False),
    )
}


@dataclass(frozen=True)
class FaultConfig:
    """Injected failures, as shares of requests (0..1), drawn from an RNG seeded by ``seed``.

    ``rate_limited``/``internal_error``/``model_loading`` answer 429/500/503 with the contract's
    JSON body; ``drop`` closes the socket without an answer; ``truncate`` sends a
    Content-Length larger than the body, then closes; ``slow`` delays the answer by
    ``slow_seconds``. File downloads are faulted only when ``include_files`` is set.
    """

    rate_limited: float = 0.0
    internal_error: float = 0.0
    model_loading: float = 0.0
    drop: float = 0.0
    truncate: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 2.0
    retry_after: int = 1
    seed: int = 0
    include_files: bool = False

    @classmethod
    def uniform(cls, rate: float, *, seed: int = 0) -> "FaultConfig":
        """Spread a total fault ``rate`` evenly over every kind of fault (``--fault-rate``)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
        share = rate / 6
        return cls(share, share, share, share, share, share, seed=seed)

    @property
    def total(self) -> float:
        return (self.rate_limited + self.internal_error + self.model_loading + self.drop
                + self.truncate + self.slow)


@dataclass
class EngineConfig:
    """Everything that shapes one engine instance.

    ``keys`` maps bearer keys to plan names in ``plans``; ``credits`` gives each key's
    starting balance (a key not listed gets ``default_credits``). ``public_base_url``, when
    set, is the prefix of every file URL the engine hands out (a stand-in CDN), otherwise
    files are served from ``/v1/files/<id>``. A stem separation of audio longer than
    ``async_threshold_seconds`` answers 202 and runs in the background (0 forces 202).
    Webhooks go only to the loopback ``host:port`` entries of ``webhook_hosts`` (none by
    default: the operator allows each receiver). A connection idle for ``read_timeout``
    seconds is closed; a served file older than ``file_ttl_seconds`` (24 h) has expired.
    Enhance, de-reverb and stems process uploads longer than ``blocks.seconds`` block by block
    (bounded memory), answering from files.
    """

    keys: dict[str, str] = field(default_factory=lambda: {DEV_KEY: "pro"})
    plans: dict[str, Plan] = field(default_factory=lambda: dict(PLANS))
    credits: dict[str, float] = field(default_factory=lambda: {DEV_KEY: 1_000_000})
    default_credits: float = 0.0
    latency: float = 0.0
    realtime_factor: float = 0.0  # uploads and speech take >= this x their audio's length
    faults: FaultConfig = field(default_factory=FaultConfig)
    data_dir: Path | None = None
    public_base_url: str | None = None
    async_threshold_seconds: float = 30.0
    webhook_timeout: float = 10.0
    webhook_hosts: tuple[str, ...] = ()
    read_timeout: float = 60.0
    file_ttl_seconds: float = 24 * 3600.0
    blocks: Blocks = field(default_factory=Blocks)

    def __post_init__(self) -> None:
        for key, plan in self.keys.items():
            if plan not in self.plans:
                raise ValueError(f"key {key[:7]}… has unknown plan {plan!r}; "
                                 f"known plans: {', '.join(self.plans)}")
        if self.public_base_url and not self.public_base_url.endswith("/"):
            self.public_base_url += "/"
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)
        self.webhook_hosts = tuple(h.strip().lower() for h in self.webhook_hosts if h.strip())

    def __repr__(self) -> str:
        keys = {f"{k[:7]}…": p for k, p in self.keys.items()}
        return (f"EngineConfig(keys={keys}, latency={self.latency}, faults={self.faults}, "
                f"data_dir={self.data_dir}, public_base_url={self.public_base_url})")
