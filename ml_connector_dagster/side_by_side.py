"""Calls of one step sent side by side: a writer or reader with many independent calls (a search per ten keys, the
line items of each contract) sends up to its degree at once, within the vendor's concurrency slots (http.py)."""

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T, R = TypeVar("T"), TypeVar("R")


def side_by_side(call: Callable[[T], R], items: Sequence[T], degree: int) -> list[R]:
    """`call` on each item, up to `degree` at once, the answers in the items' order; the first error is raised once
    the calls under way have ended."""
    if degree <= 1 or len(items) <= 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(min(degree, len(items)), thread_name_prefix="side-by-side") as pool:
        return list(pool.map(call, items))
