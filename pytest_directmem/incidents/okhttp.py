"""Seed document 004 with the real okhttp: the OOM of an innocent TLS write, caught and reported by okhttp."""

from __future__ import annotations

from typing import Any, Callable

from ..frameworks import okhttp
from .model import Incident, Variant

DISPATCHER_DIED = 'stderr:Exception in thread "OkHttp Dispatcher" java.lang.OutOfMemoryError'
FACTS = ("oom.message", "oom.thread_unported", "oom.caught_by", "oom.carried_by", "frame:sun.nio.ch.NioSocketImpl.tryWrite",
         "frame:sun.nio.ch.Util.getTemporaryDirectBuffer", "workload_completed", "exit_code", "value.result", "value.response_code", "value.callback_thread", "value.callback_error_head",
         "value.suppressed", "value.oom_via_ssl_socket", "value.oom_via_try_write", "value.oom_via_temporary_buffer",
         "value.tls", DISPATCHER_DIED)


def _opts(**properties: str) -> Callable[[], dict[str, Any]]:
    """Evaluated when the variant runs: resolves okhttp (cached) and builds the scenario jar."""
    def options() -> dict[str, Any]:
        return {**okhttp.options(properties=properties), "heap": "128m", "max_direct": "16m"}

    return options


SEED_OKHTTP = Incident(
    id="seed-okhttp",
    title="okhttp over TLS: the request-body write fails, the callback gets 'canceled due to' the OOM",
    sources=("seed document 004 (okhttp over TLS)",),
    cause="a culprit holds all of the direct limit but ~1000 bytes; okhttp's dispatcher thread writes the "
          "request body through SSLSocket, whose java.net.Socket on JDK 13-23 (NioSocketImpl.tryWrite) copies "
          "each TLS record (8230 bytes for a 8 KiB okio segment) into a temporary direct buffer "
          "(Util.getTemporaryDirectBuffer) and fails; okhttp's AsyncCall catches the Throwable, hands the callback "
          "IOException(\"canceled due to \" + oom) with the OOM suppressed, then rethrows it, ending the dispatcher "
          "thread. JDK 11's socket copies through malloc'ed memory and JDK 24+ takes temporary buffers outside the "
          "limit (JDK-8344882): there the POST succeeds. Measured, not pinned: the free window matters "
          "(0-200 bytes: the TLS handshake fails first; MockWebServer's own reader shares the limit); the "
          "scenario warms the connection up first so that only the client's write needs new direct memory",
    vary="the JDK (11, 17, 21, 25); -Djdk.net.usePlainSocketImpl=true (JDK 13-17 only); no culprit",
    story="A service's HTTP calls fail with java.io.IOException: canceled due to java.lang.OutOfMemoryError: "
          "Cannot reserve 8230 bytes of direct buffer memory. The stack points into okhttp and the JDK's TLS "
          "socket; the memory is held elsewhere, and the same code works on JDK 11 and JDK 25.",
    variants=(
        Variant("async-post-1000-free", okhttp.seed(free=1000), _opts(), FACTS,
                shows="okhttp 4.12, TLS 1.3, HTTP/1.1: 16 MiB limit with 1000 bytes free, an async POST of 16 KiB"),
        Variant("plain-socket-impl", okhttp.seed(free=1000), _opts(**{"jdk.net.usePlainSocketImpl": "true"}), FACTS,
                shows="the same with -Djdk.net.usePlainSocketImpl=true: the old socket (JDK 13-17) writes without direct buffers"),
        Variant("no-culprit", okhttp.seed(free="16m"), _opts(), FACTS,
                shows="the control: the same POST without the culprit succeeds"),
    ),
)

INCIDENTS = [SEED_OKHTTP]
