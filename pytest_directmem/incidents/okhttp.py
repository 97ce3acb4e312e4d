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
