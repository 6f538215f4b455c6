"""Peak resident memory and CPU time of a notebook's kernel, sampled while it runs.

The CPU time (user and system, of the kernel and its child processes) tells how long a
notebook takes on an idle machine when the machine that ran it was busy with other work:
on ``c`` free cores it needs about ``cpu_seconds / c`` of wall time at best.
"""

from __future__ import annotations

import threading

import psutil


class PeakMemory:
    """Polls the resident memory of a process tree (the kernel and its workers) in a thread."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak_bytes = 0
        self.cpu_seconds = 0.0
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def watch(self, pid: int) -> None:
        self._pid = pid
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> float | None:
        """Stop polling; the peak in MiB (None if no process was watched)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.peak_bytes / 2**20 if self._pid is not None else None

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                kernel = psutil.Process(self._pid)
                tree = [kernel, *kernel.children(recursive=True)]
                total = sum(p.memory_info().rss for p in tree if p.is_running())
                times = [p.cpu_times() for p in tree if p.is_running()]
            except psutil.Error:  # the kernel is starting or exiting
                continue
            self.peak_bytes = max(self.peak_bytes, total)
            # the latest sample: CPU time only grows (finished children drop out, rarely)
            self.cpu_seconds = max(self.cpu_seconds, sum(t.user + t.system for t in times))
