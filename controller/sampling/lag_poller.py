"""Consumer lag read in a thread of its own, so that the control loop never waits on it.

While the broker is down every lag call waits out its timeout (three calls of up to 10 s
each): read in the loop, that stalled whole ticks, and with them the heal of the very
fault that took the broker down (a broker kill due to heal after 5 s was healed after 34).
The loop takes the newest reading when there is one, and each new failure once.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class LagPoller:
    def __init__(self, read: Callable[[], dict[int, int] | None], interval_s: float, wall_ns: Callable[[], int]):
        self._read, self.interval_s, self._wall_ns = read, interval_s, wall_ns
        self._lock = threading.Lock()
        self._reading: tuple[dict[int, int], int] | None = None
        self._error: Exception | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lag-poller", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.poll_once()
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def poll_once(self) -> None:
        # Stamped when the read starts: a zero lag stamped after the producers stopped was
        # read after they stopped (what the end phase's drain relies on).
        stamp = self._wall_ns()
        try:
            lag = self._read()
        except Exception as exc:  # the loop reports it as a failed step
            with self._lock:
                self._error = exc
            return
        if lag is None:  # nothing to read yet (and nothing wrong)
            return
        with self._lock:
            self._reading, self._error = (lag, stamp), None

    def take(self) -> tuple[dict[int, int], int] | None:
        """The newest reading not taken yet (lag per partition, wall ns), or None. With no
        new reading, raises the newest failure since the last one (once)."""
        with self._lock:
            reading, error = self._reading, self._error
            if reading is not None:
                self._reading = None
            else:
                self._error = None
        if reading is None and error is not None:
            raise error
        return reading

    def stop(self, timeout_s: float = 35.0) -> None:  # one read may wait out three 10 s timeouts
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
