"""Bearer keys to plans: 401 for a missing or unknown key, 403 for a plan without API access."""
from __future__ import annotations

import hmac
from dataclasses import dataclass

from .config import EngineConfig, Plan
from .errors import EngineError


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: its key (never logged) and plan."""

    key: str
    plan: Plan

    def __repr__(self) -> str:
        return f"Caller(key='{self.key[:7]}…', plan={self.plan.name!r})"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(config: EngineConfig, authorization: str | None) -> Caller:
    """The caller behind an Authorization header; raises 401/403 as the contract says."""
    token = bearer_token(authorization)
    if token is None:
        raise EngineError("unauthorized",
                          "Missing API key: send 'Authorization: Bearer sk-tts-…'.")
    plan_name = None
    for key, name in config.keys.items():
        if hmac.compare_digest(key.encode(), token.encode()):
            plan_name, token = name, key
    if plan_name is None:
        raise EngineError("unauthorized", "Invalid API key.")
    plan = config.plans[plan_name]
    if not plan.api_access:
        raise EngineError("forbidden", f"The {plan.name} plan has no API access; "
                          "upgrade to Pro or Enterprise.")
    return Caller(token, plan)
