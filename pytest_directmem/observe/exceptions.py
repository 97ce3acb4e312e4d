"""Read the JVM's exceptions log (``-Xlog:exceptions=info:file=exceptions.log:uptime,tid``): every
OutOfMemoryError thrown in the JVM, on any thread, caught or not.

HotSpot logs one record each time an exception reaches a frame while unwinding (recorded from JDK 11,
17, 21 and 25 in tests/data/exceptions)::

    [0.755s][6396] Exception <a 'java/lang/OutOfMemoryError'{0x0000000689000000}: Cannot reserve ...>
     thrown in interpreter method <{method} {0x...} 'reserveMemory' '(JJ)V' in 'java/nio/Bits'>
     at bci 215 for thread 0x00007f4bf4118320 (JDBM writer)
    [0.755s][6396] Found matching handler for exception of type "java.lang.OutOfMemoryError" in method "deliver" at BCI: 6

- compiled frames say ``thrown in C1 compiled method <...>`` / ``at PC0x... for thread 0x...`` (no thread
  name: it is taken from another record of the same thread);
- the VM's own throws (a Java heap OOM) start with ``Exception <a '...'{0x...}> (0x...)`` /
  ``thrown [memAllocator.cpp, line 134]``;
- JDK 17+ log ``Found matching handler ... in method "M"`` where a catch clause takes it (the method's
  class is the last frame's) and ``Found catch-all handler`` for a ``finally`` (which rethrows); JDK 11
  logs no handler lines: the last frame reached is the catcher, unless it is a thread's root;
- an error a native method threw (JNI, e.g. FileChannelImpl.map0's "Map failed") starts with ``thrown
  [jni.cpp, line 535]`` and reaches its Java caller as ``1 [Exception (): a '...'{0x...} in {method} ... 'mapInternal'
  ... in 'sun/nio/ch/FileChannelImpl' at 0x...]``;
- JDK 25 pads continuation lines with blank decorations ``[             ]``.

One throw is one exception object (its address) unwinding on one thread; rethrowing the same object
continues it. After a GC a new error often gets the address of the previous one: a record that
starts again at the first frame's position (method and bci/PC) is a new throw.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..artifacts import EXCEPTIONS_LOG  # the artifacts module owns the file names

__all__ = ["LoggedThrow", "parse_exceptions_log", "read_exceptions_log", "EXCEPTIONS_LOG", "xlog_option"]

# Rotation bounds a run that throws millions of exceptions: at most FILECOUNT + 1 files of FILESIZE.
FILESIZE = "20m"
FILECOUNT = 4
THREAD_ROOTS = ("java.lang.Thread.run", "java.lang.Thread.runWith")

_DECOR = re.compile(r"^((?:\[[^\]]*\])+)\s?")
_UPTIME = re.compile(r"\[(\d+(?:\.\d+)?)s\]")
_START = re.compile(r"^Exception <a '(?P<cls>[^']+)'\{(?P<addr>0x[0-9a-f]+)\}(?::\s?(?P<msg>.*?))?>(?: \(0x[0-9a-f]+\))?\s*$",
                    re.S)
_START_OPEN = re.compile(r"^Exception <a '(?P<cls>[^']+)'\{(?P<addr>0x[0-9a-f]+)\}(?::\s?(?P<msg>.*))?$", re.S)
_THROWN_IN = re.compile(r"^thrown in (?:(?:C1|C2|JVMCI|\w+) )?(?P<how>interpreter|compiled) method <\{method\} \{0x[0-9a-f]+\} "
                        r"'(?P<name>[^']*)' '[^']*' in '(?P<cls>[^']*)'>")
_THROWN_VM = re.compile(r"^thrown \[(?P<site>[^\]]*)\]")
_AT = re.compile(r"^at (?:bci (?P<bci>\d+)|PC\s?(?P<pc>0x[0-9a-f]+)) for thread (?P<ptr>0x[0-9a-f]+)(?: \((?P<name>.*)\))?\s*$")
_NATIVE_FRAME = re.compile(r"^\d+ \[Exception \([^)]*\): a '(?P<cls>[^']+)'\{(?P<addr>0x[0-9a-f]+)\} in \{method\} \{0x[0-9a-f]+\} "
                           r"'(?P<name>[^']*)' '[^']*' in '(?P<mcls>[^']*)' at (?P<pc>0x[0-9a-f]+)\]")
_FOR_THREAD = re.compile(r"^for thread (?P<ptr>0x[0-9a-f]+)")
_HANDLER = re.compile(r'^Found (?P<kind>matching|catch-all) handler for exception of type "(?P<cls>[^"]+)" '
                      r'in method "(?P<method>[^"]*)"')


def is_oom_class(name: str) -> bool:
    """java.lang.OutOfMemoryError and subclasses named like it (Netty's OutOfDirectMemoryError)."""
    return name.endswith(("OutOfMemoryError", "OutOfDirectMemoryError"))


@dataclass(frozen=True)
class LoggedThrow:
    """One exception object unwinding on one thread, as the exceptions log shows it.

    ``frames``: the methods it went through, innermost first (``"java.nio.Bits.reserveMemory"``);
    ``caught_by``: the method whose catch clause took it last (``"pkg.Class.method"``), None when it left
    the thread's root frame (``Thread.run``); ``handled``: True when a handler line shows the catch, False
    when it left the thread's root, None when no handler was logged (JDK 11; some compiled frames) and
    the last frame reached is taken as the catcher (for a main thread's outermost frame the JVM's
    "Exception in thread" report tells otherwise: see observe.ooms). ``uptime_s``: JVM uptime of its
    first record.
    """

    class_name: str
    message: str | None
    thread: str | None
    uptime_s: float | None
    frames: tuple[str, ...]
    caught_by: str | None
    handled: bool | None
    tid: str | None = None
    vm_site: str | None = None  # "memAllocator.cpp, line 134" for the VM's own throws
    first_caught_by: str | None = None  # the first catch clause (not a finally) that took it, rethrown or not


@dataclass
class _Open:
    class_name: str
    address: str
    message: str | None
    tid: str | None
    uptime_s: float | None
    thread_ptr: str | None = None
    thread: str | None = None
    frames: list[str] = field(default_factory=list)
    origin: tuple[str, str] | None = None  # (method, bci/pc) of the first frame
    handler: tuple[str, str] | None = None  # (kind, method)
    first_catch: str | None = None  # the first method whose catch clause (not a finally) took it
    vm_site: str | None = None
    last_was_frame: bool = False


# messages of the OutOfMemoryErrors the VM itself creates (memAllocator.cpp, metaspace.cpp, ...)
_VM_MESSAGES = ("Java heap space", "GC overhead limit exceeded", "Requested array size exceeds VM limit",
                "Metaspace", "Compressed class space")


def _split(line: str) -> tuple[str, str]:
    """(decorations, body) of a log line; continuation lines have blank or no decorations."""
    m = _DECOR.match(line)
    if not m:
        return "", line.strip()
    return m.group(1), line[m.end():].strip()


def parse_exceptions_log(text: str, *, oom_only: bool = True) -> tuple[LoggedThrow, ...]:
    """Every throw in the log text, in the order of their first record (throw order)."""
    throws: list[_Open] = []
    open_by_tid: dict[str | None, _Open] = {}
    by_addr: dict[str, _Open] = {}
    cur_tid: str | None = None
    uptime: float | None = None
    names: dict[str, str] = {}  # thread pointer -> thread name
    any_handler_lines = False
    cur: _Open | None = None  # the record being read (its continuation lines follow)
    cur_is_new = False
    pending: str | None = None  # the method of a "thrown in" line, until its "at bci/PC" line
    for raw in text.splitlines():
        decor, body = _split(raw)
        if not body:
            continue
        has_decor = bool(decor.strip("[] "))
        if has_decor:
            cur, pending = None, None
            uptime_m = _UPTIME.search(decor)
            uptime = float(uptime_m.group(1)) if uptime_m else None
            tid = _tid(decor)
            if body.startswith("Exception <a '"):
                m = _START.match(body) or _START_OPEN.match(body)
                if not m or (oom_only and not is_oom_class(m.group("cls").replace("/", "."))):
                    continue
                cls, addr, msg = m.group("cls").replace("/", "."), m.group("addr"), m.group("msg")
                cur_tid = tid
                prev = open_by_tid.get(tid)
                other = by_addr.get(addr)
                if prev is not None and prev.address == addr and prev.class_name == cls:
                    cur, cur_is_new = prev, False
                    if msg is not None and prev.message is None:
                        prev.message = msg
                elif (prev is not None and prev.class_name == cls and prev.vm_site is not None and not prev.frames
                      and (msg is None or msg.startswith(_VM_MESSAGES))):
                    # the VM made this error (e.g. a heap OOM) and a GC moved it before it reached a Java frame:
                    # the same throw at a new address
                    cur, cur_is_new = prev, False
                    by_addr[addr] = prev
                    prev.address = addr
                    if msg is not None and prev.message is None:
                        prev.message = msg
                elif (other is not None and other.class_name == cls and other.message == msg and other.handler
                      and not other.last_was_frame and other.handler[0] == "matching"):
                    cur, cur_is_new = other, False  # caught on one thread, rethrown on another (checked below)
                else:
                    cur, cur_is_new = _Open(cls, addr, msg, tid, uptime), True
                continue
            nf = _NATIVE_FRAME.match(body)
            if nf:  # a frame that called the native method which threw (JNI): "1 [Exception (): a '...' in ..."
                o = open_by_tid.get(tid)
                if o is not None and o.address == nf.group("addr"):
                    o.frames.append(f"{nf.group('mcls').replace('/', '.')}.{nf.group('name')}")
                    o.origin = o.origin or (o.frames[-1], nf.group("pc"))
                    o.handler, o.last_was_frame = None, True
                continue
            h = _HANDLER.match(body)
            if h:
                any_handler_lines = True
                o = open_by_tid.get(tid)
                if o is not None and o.class_name == h.group("cls"):
                    o.handler = (h.group("kind"), h.group("method"))
                    o.last_was_frame = False
                    if h.group("kind") == "matching" and o.first_catch is None:
                        method = h.group("method")
                        o.first_catch = next((f for f in reversed(o.frames) if f.rsplit(".", 1)[-1] == method), method)
            continue
        if body.startswith("at ") and body.endswith(")"):
            n = _AT.match(body)
            if n and n.group("name") is not None:
                names[n.group("ptr")] = n.group("name")  # learnt from any exception's record
        if cur is None:
            continue
        m = _THROWN_IN.match(body)
        if m:
            method = f"{m.group('cls').replace('/', '.')}.{m.group('name')}"
            pending = method
            continue
        m = _AT.match(body)
        if m:
            method, pending = pending, None
            pos = m.group("bci") or m.group("pc")
            if method is None:
                continue
            if not cur_is_new and cur.origin == (method, pos):
                # the same address thrown again from where the earlier error started: a new error
                cur, cur_is_new = _Open(cur.class_name, cur.address, cur.message, cur_tid, uptime), True
            if cur_is_new:
                throws.append(cur)
                cur_is_new = False
            open_by_tid[cur_tid] = cur
            by_addr[cur.address] = cur
            if cur.origin is None:
                cur.origin = (method, pos)
            cur.thread_ptr = cur.thread_ptr or m.group("ptr")
            cur.thread = cur.thread or m.group("name")  # its own record's name (a pointer may be reused later)
            cur.frames.append(method)
            cur.handler = None
            cur.last_was_frame = True
            continue
        m = _THROWN_VM.match(body)
        if m:
            if not cur_is_new:  # the VM throws (a preallocated heap OOM may reuse one object): always a new throw
                cur, cur_is_new = _Open(cur.class_name, cur.address, cur.message, cur_tid, uptime), True
            cur.vm_site = m.group("site").rsplit("/", 1)[-1]
            continue
        m = _FOR_THREAD.match(body)
        if m:
            if cur_is_new:
                throws.append(cur)
                cur_is_new = False
            open_by_tid[cur_tid] = cur
            by_addr[cur.address] = cur
            cur.thread_ptr = cur.thread_ptr or m.group("ptr")
            continue
        if cur_is_new and not cur.frames and cur.message is not None:
            cur.message += "\n" + (body[:-1] if body.endswith(">") else body)  # a message with line breaks
    return tuple(_close(o, names, any_handler_lines) for o in throws)


def _tid(decor: str) -> str | None:
    for part in re.findall(r"\[([^\]]*)\]", decor):
        part = part.strip()
        if part.isdigit():
            return part
    return None


def _close(o: _Open, names: dict[str, str], handler_lines: bool) -> LoggedThrow:
    frames = tuple(o.frames)
    thread = o.thread or names.get(o.thread_ptr or "")
    if o.handler is not None and not o.last_was_frame:
        kind, method = o.handler
        owner = next((f for f in reversed(frames) if f.rsplit(".", 1)[-1] == method), None)
        caught_by, handled = owner or method, True
    else:  # no handler line after the last frame (JDK 11 logs none; compiled frames may not either): the
        # last frame reached caught it, unless it is a thread's root (then it left the thread)
        last = frames[-1] if frames else None
        caught_by = None if last is None or last in THREAD_ROOTS else last
        handled = False if caught_by is None else None
    return LoggedThrow(o.class_name, o.message, thread, o.uptime_s, frames, caught_by, handled, o.tid, o.vm_site,
                       o.first_catch)


def read_exceptions_log(artifacts: Path, name: str = EXCEPTIONS_LOG) -> tuple[LoggedThrow, ...] | None:
    """The throws in ``artifacts/exceptions.log`` and its rotated parts (oldest first); None without a log.

    Accepts ``exceptions.log.gz`` (recorded test data) as well.
    """
    parts = sorted(artifacts.glob(name + ".[0-9]*"), key=lambda p: int(p.suffix[1:]) if p.suffix[1:].isdigit() else -1)
    main = artifacts / name
    gz = artifacts / (name + ".gz")
    texts = []
    for p in [*_rotation_order(parts), main]:
        try:
            texts.append(p.read_text(errors="replace"))
        except OSError:
            pass
    if not texts and gz.exists():
        texts.append(gzip.decompress(gz.read_bytes()).decode(errors="replace"))
    if not texts:
        return None
    return parse_exceptions_log("\n".join(texts))


def _rotation_order(parts: list[Path]) -> list[Path]:
    """Unified logging rotates into name.0, name.1 ... cyclically; oldest = least recently modified."""
    return sorted(parts, key=lambda p: p.stat().st_mtime_ns)


def xlog_option(artifacts: str) -> str:
    """The -Xlog option that writes the exceptions log into the artifacts directory."""
    return (f"-Xlog:exceptions=info:file={artifacts}/{EXCEPTIONS_LOG}:uptime,tid"
            f":filecount={FILECOUNT},filesize={FILESIZE}")
