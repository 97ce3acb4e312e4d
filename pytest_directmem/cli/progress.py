"""Progress on stderr for the CLI's long steps (JDK downloads, image builds, runs); stdout stays clean.

On a terminal a spinner line shows the step and its elapsed time; messages from inside the step
(``say``) are printed above it. Elsewhere (CI logs, pipes) each step prints one line when it starts
and one when it ends, with no carriage-return animation.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import IO, Iterator

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Progress:
    def __init__(self, stream: IO[str] | None = None, *, enabled: bool = True, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty() if tty is None else tty
        self._lock = threading.Lock()
        self._line = ""  # the spinner line currently drawn (tty only)

    def say(self, message: str) -> None:
        """A message from inside a step (a download, a build line)."""
        if not self.enabled:
            return
        with self._lock:
            self._clear()
            self.stream.write(message.rstrip("\n") + "\n")
            self._draw()
            self.stream.flush()

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[Progress]:
        """Show `title` with a spinner and elapsed time until the block ends, then its duration."""
        if not self.enabled:
            yield self
            return
        t0 = time.monotonic()
        stop = threading.Event()
        spinner = None
        if self.tty:
            def spin() -> None:
                i = 0
                while not stop.wait(0.1):
                    with self._lock:
                        self._clear()
                        self._line = f"{FRAMES[i % len(FRAMES)]} {title} {time.monotonic() - t0:.1f}s"
                        self._draw()
                        self.stream.flush()
                    i += 1

            spinner = threading.Thread(target=spin, name="directmem-progress", daemon=True)
            spinner.start()
        else:
            self.say(f"{title} ...")
        ok = False
        try:
            yield self
            ok = True
        finally:
            stop.set()
            if spinner is not None:
                spinner.join()
            with self._lock:
                self._clear()
                self._line = ""
                mark = "done" if ok else "stopped"
                self.stream.write(f"{title}: {mark} in {time.monotonic() - t0:.1f}s\n")
                self.stream.flush()

    def _clear(self) -> None:
        if self.tty and self._line:
            self.stream.write("\r\x1b[2K")

    def _draw(self) -> None:
        if self.tty and self._line:
            self.stream.write(self._line)
