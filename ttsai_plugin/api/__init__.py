"""The TTS.ai API client: ``TTSAIClient``, its typed answers, plan limits and errors."""
from __future__ import annotations

from ..errors import (ERRORS_BY_CODE, ERRORS_BY_STATUS, APIConnectionError, APIError,
                      APITimeoutError, AuthenticationError, BadRequestError, ConfigError,
                      FileTooLargeError, IncompleteResponseError, InputError,
                      InsufficientCreditsError, InternalServerError, LimitExceededError,
                      ModelLoadingError, NotFoundError, PermissionDeniedError, RateLimitError,
                      TaskFailedError, TTSAIError)
from .client import TTSAIClient
from .config import ClientConfig, Secret, config_path, resolve_config, save_config
from .limiter import PLANS, PlanLimits, RateLimiter, plan_limits
from .paths import ENDPOINTS, Endpoint, endpoint
from .retry import RetryPolicy
from .types import (Analysis, AudioResult, ChatTurn, CreditState, ModelInfo, RateLimitState,
                    Segment, Stems, TaskResult, Transcript, Translation, VoiceInfo, VoiceList,
                    Word)

__all__ = [
    "TTSAIClient", "PlanLimits", "PLANS", "plan_limits", "RateLimiter", "RetryPolicy",
    "Secret", "ClientConfig", "resolve_config", "save_config", "config_path",
    "Endpoint", "ENDPOINTS", "endpoint",
    "Analysis", "AudioResult", "ChatTurn", "CreditState", "ModelInfo", "RateLimitState",
    "Segment", "Stems", "TaskResult", "Transcript", "Translation", "VoiceInfo", "VoiceList",
    "Word",
    "TTSAIError", "APIError", "APIConnectionError", "APITimeoutError", "IncompleteResponseError",
    "TaskFailedError", "ConfigError", "InputError",
    "LimitExceededError", "BadRequestError", "AuthenticationError", "InsufficientCreditsError",
    "PermissionDeniedError", "NotFoundError", "FileTooLargeError", "RateLimitError",
    "InternalServerError", "ModelLoadingError", "ERRORS_BY_CODE", "ERRORS_BY_STATUS",
]
