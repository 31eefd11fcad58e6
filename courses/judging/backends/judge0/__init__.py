"""The Judge0 backend (``COURSES_JUDGE_BACKEND=judge0``): see ``backend`` for the contract."""

from .backend import Judge0Backend, clear_language_cache
from .circuit import CircuitBreaker, CircuitOpen
from .client import Judge0Client, Judge0NotFound, RetryPolicy, Timeouts
from .protocol import Deployment

__all__ = [
    "CircuitBreaker",
    "CircuitOpen",
    "Deployment",
    "Judge0Backend",
    "Judge0Client",
    "Judge0NotFound",
    "RetryPolicy",
    "Timeouts",
    "clear_language_cache",
]
