"""Procore's rate limits (crm_targets.md §3.4): an hourly allowance per bucket, a bucket being one app in one company
(a DMSA gets one per `Procore-Company-Id`; the sheet says "per token", and whether the tokens of one app share it is
not said: the stricter reading, one bucket for all of them, is the emulator's), and a spike limit, a number of
requests within a few seconds (25 in 10 s, uncertain). Every answer reports one of the two as `X-Rate-Limit-Limit`,
`-Remaining` and `-Reset` (the epoch second its window starts afresh): the one fewer requests remain of (Procore's
"Rate Limiting" page: the headers reflect the limit the app is most likely to exceed first, the spike one until the
hourly one is nearly spent). A refused call spends nothing and is answered 429 with a plain-text body and
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

    def admit(self, app: str, company: str) -> tuple[dict[str, str], PlainTextResponse | None]:
        """Counts the call in its bucket (`app`: the client id of the call's token, or the token where it is none):
        the rate headers to send, and the 429 answer when it is refused."""
        settings, now = self.settings(), self.now()
        window = timedelta(seconds=settings.rate_window_seconds)
        with self._lock:
            bucket = self._buckets.setdefault((app, company), _Bucket(now))
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
            limit, left = settings.hourly_limit, max(0, settings.hourly_limit - bucket.used)
            if settings.spike_limit and settings.spike_requests - len(bucket.recent) < left:
                limit, left = settings.spike_requests, settings.spike_requests - len(bucket.recent)
                reset = (bucket.recent[0] if bucket.recent else now) + spike
            headers = {
                "X-Rate-Limit-Limit": str(limit),
                "X-Rate-Limit-Remaining": str(left),
                "X-Rate-Limit-Reset": str(math.ceil(reset.timestamp())),
            }
        if refused is None:
            return headers, None
        message, free_at = refused
        wait = max(1, math.ceil((free_at - now).total_seconds()))
        return headers, PlainTextResponse(message, status_code=429, headers={**headers, "Retry-After": str(wait)})
