"""Memory bounded whatever the photos' size: the full-size decodes in flight share a budget of pixels.

The judgement needs every photo at full size (``msdunet.focus``), so a reader holds about six bytes
per pixel while it decodes, turns and measures one (a 24 MP photo: some 150 MB).  Readers take the
photo's pixels from ``DECODE_BUDGET`` before decoding (read from its header) and give them back once
only the reduced images are left: two 24 MP photos decode side by side, a 60 MP one alone, and a
folder's length changes nothing.  A camera RAW is read through its preview, whose size its header does
not tell cheaply: it counts as half the budget (two at a time, as without one).

``one_malloc_arena``: glibc gives each thread that allocates its own arena and keeps what a photo
freed there for that thread's next one, so two readers kept the peaks of both (48 MP photos one at a
time: 1.2 GB peak RSS); with one arena for all threads the peak is what is held at once (0.8 GB), at
no measured cost in time.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from msdunet.io import ImageReadError, image_size
from msdunet.io.formats import is_raw

DECODE_BUDGET = 50_000_000  # pixels of full-size photos decoded at once (two of 24 MP)
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def one_malloc_arena() -> bool:
    """Ask glibc's malloc for one arena shared by the threads started from now on (``mallopt``);
    False where the C library is not glibc (nothing changes there)."""
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError):
        return False


class PixelBudget:
    """A count of pixels that readers take and give back; one photo larger than the whole budget
    waits until nothing else is held, then runs alone."""

    def __init__(self, pixels: int = DECODE_BUDGET) -> None:
        self.total, self.used = pixels, 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self.used == 0 or self.used + pixels <= self.total)
            self.used += pixels
        try:
            yield
        finally:
            with self._changed:
                self.used -= pixels
                self._changed.notify_all()

    def pixels_of(self, path: Path) -> int:
        """What decoding ``path`` will hold: its pixels from the header (half the budget for a RAW;
        none for a file whose header cannot be read: its decode fails at once, naming the problem)."""
        if is_raw(path):
            return self.total // 2
        try:
            width, height = image_size(path)
        except (ImageReadError, OSError):
            return 0
        return width * height
