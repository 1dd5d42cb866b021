"""The org's daily API request allocation (crm_targets.md §1.9): every REST call but the token and the versions list
spends one; the `Sforce-Limit-Info` header and `GET /limits` report the same counter; once it is spent every call is
refused until an administrator starts a new day (admin `POST /_admin/new-day`)."""

import threading
from collections.abc import Callable


class DailyLimit:
    def __init__(self, maximum: Callable[[], int]):
        self.maximum = maximum
        self.used = 0
        self._lock = threading.Lock()

    def spend(self) -> bool:
        """Counts one request; False, without counting it, when the allocation is already spent."""
        with self._lock:
            if self.used >= self.maximum():
                return False
            self.used += 1
            return True

    def reset(self) -> None:
        with self._lock:
            self.used = 0

    def header(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.used}/{self.maximum()}"}

    def report(self) -> dict:
        maximum = self.maximum()
        return {"DailyApiRequests": {"Max": maximum, "Remaining": max(0, maximum - self.used)}}
