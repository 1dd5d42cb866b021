"""Procore's rate limits (crm_targets.md §3.4): an hourly allowance per bucket, a bucket being one access token in one
company (a DMSA gets one per `Procore-Company-Id`), reported on every answer as `X-Rate-Limit-Limit`, `-Remaining`
and `-Reset` (the epoch second the next window starts); and a spike limit, a number of requests within a few
seconds (25 in 10 s, uncertain). A refused call spends nothing and is answered 429 with a plain-text body and
`Retry-After`. Both windows run on the emulator clock."""

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from starlette.responses import PlainTextResponse

from ml_connector_dagster.sandbox.procore.settings import ProcoreSettings

# Guess: the wording of the plain-text 429 (§3.4 gives its sense, not its text).
HOURLY_MESSAGE = "You have surpassed the max number of requests for an hour. Please wait until your limit resets."
SPIKE_MESSAGE = "You have surpassed the max number of requests in a short period. Please slow down and retry."


@dataclass
class _Bucket:
    window_start: datetime
    used: int = 0
    recent: deque[datetime] = field(default_factory=deque)


class RateLimits:
    def __init__(self, now: Callable[[], datetime], settings: Callable[[], ProcoreSettings]):
        self.now = now
        self.settings = settings
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def admit(self, token: str, company: str) -> tuple[dict[str, str], PlainTextResponse | None]:
        """Counts the call in its bucket: the rate headers to send, and the 429 answer when it is refused."""
        settings, now = self.settings(), self.now()
        window = timedelta(seconds=settings.rate_window_seconds)
        with self._lock:
            bucket = self._buckets.setdefault((token, company), _Bucket(now))
            if now >= bucket.window_start + window:
                bucket.window_start, bucket.used = now, 0
            spike = timedelta(seconds=settings.spike_seconds)
            while bucket.recent and now - bucket.recent[0] >= spike:
                bucket.recent.popleft()
            reset = bucket.window_start + window
            refused = None
            if settings.rate_limits and bucket.used >= settings.hourly_limit:
                refused = (HOURLY_MESSAGE, reset)
            elif settings.spike_limit and len(bucket.recent) >= settings.spike_requests:
                refused = (SPIKE_MESSAGE, bucket.recent[0] + spike)
            else:
                bucket.used += 1
                bucket.recent.append(now)
            headers = {
                "X-Rate-Limit-Limit": str(settings.hourly_limit),
                "X-Rate-Limit-Remaining": str(max(0, settings.hourly_limit - bucket.used)),
                "X-Rate-Limit-Reset": str(math.ceil(reset.timestamp())),
            }
        if refused is None:
            return headers, None
        message, free_at = refused
        wait = max(1, math.ceil((free_at - now).total_seconds()))
        return headers, PlainTextResponse(message, status_code=429, headers={**headers, "Retry-After": str(wait)})
