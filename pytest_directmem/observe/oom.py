"""Classify OutOfMemoryErrors and find the one a JVM printed in its console output.

``classify_oom`` turns a class name and ``Throwable.getMessage()`` into an :class:`OomError` with
a kind and, where the message carries them, the numbers (formats recorded from JDK 11, 17, 21,
25 and Netty 4.1/4.2; see tests/data/oom):

==========  ===============================================================================
direct      ``Direct buffer memory`` (JDK 11) or ``Cannot reserve N bytes of direct buffer
            memory (allocated: A, limit: L)`` (JDK 17+): requested=N, allocated=A, limit=L
framework   a class named ``*OutOfDirectMemoryError`` (Netty): ``failed to allocate N byte(s)
            of direct memory (used: U, max: M)``: requested=N, allocated=U, limit=M
heap        ``Java heap space...``, ``GC overhead limit exceeded``,
            ``Requested array size exceeds VM limit``
metaspace   ``Metaspace``, ``Compressed class space``
native      ``unable to create native thread...`` / ``unable to create new native thread``,
            ``Unable to allocate N bytes`` (Unsafe, JDK 14+: requested=N), ``Map failed``,
            ``Cannot allocate memory``, ``Out of swap space``...; also a message-less error
            thrown by ``Unsafe.allocateMemory`` (JDK 11)
other       anything else, e.g. ``new OutOfMemoryError("custom")`` or no message
==========  ===============================================================================

``parse_oom_from_output`` finds the first OutOfMemoryError the JVM reported as uncaught:
``Exception in thread "T" <class>: <message>`` plus its ``\\tat`` frames (or the OOM in its
``Caused by:`` chain), ``Exception: <class> thrown from the UncaughtExceptionHandler in thread
"T"``, ``Terminating due to <class>: <message>`` (-XX:+ExitOnOutOfMemoryError), ``Aborting due
to ...`` (-XX:+CrashOnOutOfMemoryError), and as a last resort the bare ``<class>: <message>``
line the JVM prints before ``Dumping heap to`` or after ``Error occurred during initialization
of VM``. Frames lose ``\\tat `` and the module/loader prefix that JDK 9+ print, like the
journal's frames (``java.base/java.nio.Bits.reserveMemory(Bits.java:178)`` ->
``java.nio.Bits.reserveMemory(Bits.java:178)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..result import OomError

__all__ = ["classify_oom", "parse_oom_from_output", "announced_oom"]

_DIRECT_JDK17 = re.compile(
    r"Cannot reserve (\d+) bytes of direct buffer memory \(allocated: (-?\d+), limit: (\d+)\)"
)
_NETTY = re.compile(
    r"failed to allocate (\d+) byte\(s\) of direct memory \(used: (-?\d+), max: (\d+)\)"
)
_UNSAFE = re.compile(r"^Unable to allocate (\d+) bytes")
_HEAP = ("Java heap space", "GC overhead limit exceeded", "Requested array size exceeds VM limit")
_METASPACE = ("Metaspace", "Compressed class space")
_NATIVE_PREFIXES = (
    "unable to create native thread", "unable to create new native thread", "Map failed",
    "Unable to allocate", "Out of swap space", "Cannot create worker GC thread",
    "Cannot create GC thread", "malloc", "native memory", "Native memory",
)
_NATIVE_WORDS = ("Cannot allocate memory", "out of native memory", "errno=12", "ENOMEM")
_UNSAFE_FRAMES = ("Unsafe.allocateMemory", "Unsafe.reallocateMemory")


def classify_oom(
    class_name: str,
    message: str | None,
    stack: Iterable[str] = (),
    thread: str | None = None,
) -> OomError:
    """Build an :class:`OomError` with its kind and the sizes its message states."""
    stack = tuple(stack)
    kind, numbers = _classify(class_name, message, stack)
    requested, allocated, limit = numbers
    return OomError(
        kind=kind,
        message=message,
        class_name=class_name,
        requested=requested,
        allocated=allocated,
        limit=limit,
        stack=stack,
        thread=thread,
    )


def _classify(class_name: str, message: str | None, stack: tuple[str, ...]):
    none = (None, None, None)
    msg = (message or "").strip()
    if class_name.endswith("OutOfDirectMemoryError"):
        m = _NETTY.search(msg)
        return "framework", tuple(int(g) for g in m.groups()) if m else none
    m = _DIRECT_JDK17.search(msg)
    if m:
        return "direct", tuple(int(g) for g in m.groups())
    if msg == "Direct buffer memory":
        return "direct", none
    if msg.startswith(_HEAP):
        return "heap", none
    if msg.startswith(_METASPACE):
        return "metaspace", none
    m = _UNSAFE.match(msg)
    if m:
        return "native", (int(m.group(1)), None, None)
    if msg.startswith(_NATIVE_PREFIXES) or any(w in msg for w in _NATIVE_WORDS):
        return "native", none
    if not msg and stack and any(f in stack[0] for f in _UNSAFE_FRAMES):
        return "native", none  # JDK 11: Unsafe.allocateMemory throws OutOfMemoryError()
    return "other", none


# ---------------------------------------------------------------------------------- output

_CLASS = r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+"
_OOM_CLASS = r"(?:[A-Za-z_$][\w$]*\.)+[\w$]*(?:OutOfMemoryError|OutOfDirectMemoryError)"
_HANDLER = re.compile(
    rf'^Exception: (?P<cls>{_OOM_CLASS}) thrown from the UncaughtExceptionHandler in thread '
    r'"(?P<thread>.*)"$'
)
_VM_EXIT = re.compile(rf"^(?:Terminating|Aborting) due to (?P<cls>{_OOM_CLASS})(?:: (?P<msg>.*))?$")
_BARE = re.compile(rf"^(?P<cls>{_OOM_CLASS})(?:: (?P<msg>.*))?$")


def parse_oom_from_output(text: str) -> OomError | None:
    """The first uncaught OutOfMemoryError reported in JVM stdout/stderr, or None.

    The ``Exception in thread`` reports are read by observe.traces (the same walk as the journal's
    throwables: causes and suppressed lists); the VM's own announcements are the fallback.
    """
    from .traces import carried_ooms, uncaught_in_output

    for top in uncaught_in_output(text):
        for node, _ in carried_ooms(top):
            return classify_oom(node.class_name, node.message, node.stack, top.thread)
    return announced_oom(text)


def announced_oom(text: str) -> OomError | None:
    """An OutOfMemoryError the JVM announced outside a stack trace: ``Terminating/Aborting due to``,
    the bare line before ``Dumping heap to`` or after ``Error occurred during initialization of VM``, or
    ``Exception: <class> thrown from the UncaughtExceptionHandler in thread "T"`` (no message)."""
    lines = [line.rstrip("\r") for line in text.splitlines()]
    fallback: OomError | None = None
    bare: OomError | None = None
    handler: OomError | None = None  # carries no message: the weakest evidence
    for i, line in enumerate(lines):
        m = _HANDLER.match(line)
        if m and handler is None:
            handler = classify_oom(m.group("cls"), None, (), m.group("thread"))
            continue
        m = _VM_EXIT.match(line)
        if m and fallback is None:
            fallback = classify_oom(m.group("cls"), m.group("msg"))
            continue
        m = _BARE.match(line)
        if m and bare is None and _announced(lines, i):
            bare = classify_oom(m.group("cls"), m.group("msg"))
    return fallback or bare or handler


def _announced(lines: list[str], i: int) -> bool:
    """A bare error line the JVM itself printed: before a heap dump or after failed VM init."""
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    prev = lines[i - 1] if i > 0 else ""
    return nxt.startswith("Dumping heap to ") or prev.startswith(
        "Error occurred during initialization of VM"
    )
