"""A HotSpot HPROF 1.0.2 reader: the file indexed once, objects and fields found by class and field *name*.

    heap = Hprof.open("x.hprof")            # or x.hprof.gz
    cls = heap.class_named("java.nio.DirectByteBuffer")
    heap.fields(obj_index)                  # {"capacity": 1048576, "cleaner": 1234..., ...} (ids as ints)

Format facts (openjdk ``src/hotspot/share/services/heapDumper.cpp``; measured 11-25, see INCIDENTS.md
"HPROF facts"): header ``JAVA PROFILE 1.0.2``, 8-byte identifiers; top-level records STRING 0x01,
LOAD_CLASS 0x02, STACK_FRAME 0x04, STACK_TRACE 0x05, HEAP_DUMP 0x0C / HEAP_DUMP_SEGMENT 0x1C (whose
sub-records never straddle two segments). The order of a class's fields differs between JDKs (11/17
vs 21/25), so nothing here reads a field by position. One pass records where each object starts;
ids, classes and references are then gathered with numpy. Objects (instances, object arrays, classes) are
numbered by their position in ``ids`` (sorted); primitive arrays are leaves, kept apart (``prim_array``).
"""

from __future__ import annotations

import gzip
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["Hprof", "ClassInfo", "Field", "HprofError", "java_name"]

# basic types: hprof type code -> (size, struct code)
SIZES = {2: 8, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}
_CODES = {2: ">Q", 4: ">?", 5: ">H", 6: ">f", 7: ">d", 8: ">b", 9: ">h", 10: ">i", 11: ">q"}
_PRIM_NAMES = {4: "boolean", 5: "char", 6: "float", 7: "double", 8: "byte", 9: "short", 10: "int", 11: "long"}
_SIG = {"Z": "boolean", "C": "char", "F": "float", "D": "double", "B": "byte", "S": "short", "I": "int", "J": "long"}
KIND_INSTANCE, KIND_OBJ_ARRAY, KIND_PRIM_ARRAY, KIND_CLASS = 0, 1, 2, 3
# root sub-record tag -> (name, bytes after the id)
ROOT_TAGS = {0xFF: ("unknown", 0), 0x01: ("JNI global", 8), 0x02: ("JNI local", 8), 0x03: ("java frame", 8),
             0x04: ("native stack", 4), 0x05: ("sticky class", 0), 0x06: ("thread block", 4),
             0x07: ("monitor used", 0), 0x08: ("thread object", 8)}
_U4 = struct.Struct(">I")
_U8 = struct.Struct(">Q")
_ID_U4 = struct.Struct(">QI")
_PRIM = struct.Struct(">IB")


class HprofError(ConfigError):
    """The file is not a heap dump this reader understands (option ``dump``)."""

    def __init__(self, path: object, reason: str):
        super().__init__("dump", str(path), reason)


def java_name(name: str) -> str:
    """``java/util/ArrayList`` -> ``java.util.ArrayList``; ``[Ljava/lang/Object;`` -> ``java.lang.Object[]``."""
    dims = len(name) - len(name.lstrip("["))
    if not dims:
        return name.replace("/", ".")
    rest = name[dims:]
    base = rest[1:-1].replace("/", ".") if rest.startswith("L") else _SIG.get(rest, rest)
    return base + "[]" * dims


@dataclass(frozen=True)
class Field:
    name: str
    type: int        # hprof basic type (2 = object reference)
    offset: int      # bytes from the start of the instance data
    owner: str       # the declaring class (java name)


@dataclass
class ClassInfo:
    id: int
    name: str
    super_id: int
    instance_size: int
    statics: list[tuple[str, int, object]]      # (name, type, value); references are ids
    own_fields: list[tuple[str, int]]           # (name, type), declaration order of this dump
    layout: list[Field] | None = None           # own fields first, then the superclass's (HotSpot order)


class Hprof:
    """An indexed heap dump. Build with :meth:`open`; ``ConfigError``/``HprofError`` for a bad file."""

    def __init__(self, buf: bytes | mmap.mmap, path: object = "<memory>"):
        self.path = path
        self.buf = buf
        self.arr = np.frombuffer(buf, dtype=np.uint8)
        self.strings: dict[int, tuple[int, int]] = {}      # string id -> (offset, length)
        self.class_names: dict[int, str] = {}               # class object id -> java name
        self.class_serials: dict[int, int] = {}             # class serial -> class object id
        self.frames: dict[int, tuple[int, int, int, int, int]] = {}   # frame id -> (method, sig, file, class serial, line)
        self.traces: dict[int, tuple[int, list[int]]] = {}  # trace serial -> (thread serial, frame ids)
        self.classes: dict[int, ClassInfo] = {}
        self.roots: list[tuple[str, int, int, int]] = []    # (kind, object id, thread serial or 0, frame or -1)
        self.threads: dict[int, tuple[int, int]] = {}       # thread serial -> (thread object id, trace serial)
        self._views: dict[int, np.ndarray] = {}
        self._table: np.ndarray | None = None
        self._scan()

    # ---------------------------------------------------------------- opening and scanning
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Hprof:
        p = Path(path)
        if not p.is_file():
            raise HprofError(p, "no such file")
        with p.open("rb") as f:
            magic = f.read(2)
            f.seek(0)
            if magic == b"\x1f\x8b":
                return cls(gzip.decompress(f.read()), p)
            if p.stat().st_size == 0:
                raise HprofError(p, "empty file")
            return cls(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), p)

    def _scan(self) -> None:
        buf = self.buf
        head = bytes(buf[:19])
        if not head.startswith(b"JAVA PROFILE 1.0."):
            raise HprofError(self.path, f"not an HPROF heap dump (starts with {head[:19]!r})")
        nul = bytes(buf[:64]).index(b"\0")
        self.version = bytes(buf[:nul]).decode()
        (self.id_size,) = _U4.unpack_from(buf, nul + 1)
        if self.id_size != 8:
            raise HprofError(self.path, f"identifier size {self.id_size}: only 8-byte ids (64-bit HotSpot) are read")
        p, end = nul + 1 + 4 + 8, len(buf)
        inst: list[int] = []
        objarr: list[int] = []
        prim: list[int] = []
        strings, u4, u8 = self.strings, _U4.unpack_from, _U8.unpack_from
        while p + 9 <= end:
            tag = buf[p]
            (length,) = u4(buf, p + 5)
            body = p + 9
            if body + length > end:
                raise HprofError(self.path, f"record at byte {p} runs past the end of the file (truncated dump?)")
            if tag == 0x01:
                strings[u8(buf, body)[0]] = (body + 8, length - 8)
            elif tag == 0x02:
                serial, cid, _, sid = struct.unpack_from(">IQIQ", buf, body)
                self.class_serials[serial] = cid
                self.class_names[cid] = sid  # type: ignore[assignment]  # resolved below
            elif tag == 0x04:
                self.frames[u8(buf, body)[0]] = struct.unpack_from(">QQQIi", buf, body + 8)
            elif tag == 0x05:
                serial, thread, n = struct.unpack_from(">III", buf, body)
                self.traces[serial] = (thread, list(struct.unpack_from(f">{n}Q", buf, body + 12)))
            elif tag in (0x0C, 0x1C):
                self._scan_heap(body, body + length, inst, objarr, prim)
            p = body + length
        self.class_names = {cid: java_name(self.string(sid)) for cid, sid in self.class_names.items()}
        self._index(inst, objarr, prim)

    def _scan_heap(self, p: int, end: int, inst: list[int], objarr: list[int], prim: list[int]) -> None:
        buf, u4, sizes = self.buf, _U4.unpack_from, SIZES
        add_inst, add_obj, add_prim = inst.append, objarr.append, prim.append
        while p < end:
            tag = buf[p]
            if tag == 0x21:
                add_inst(p)
                p += 25 + u4(buf, p + 21)[0]
            elif tag == 0x23:
                add_prim(p)
                n, t = _PRIM.unpack_from(buf, p + 13)
                p += 18 + n * sizes[t]
            elif tag == 0x22:
                add_obj(p)
                p += 25 + 8 * u4(buf, p + 13)[0]
            elif tag == 0x20:
                p = self._class_dump(p + 1)
            elif tag in ROOT_TAGS:
                kind, extra = ROOT_TAGS[tag]
                oid = _U8.unpack_from(buf, p + 1)[0]
                if tag in (0x02, 0x03):
                    thread, frame = struct.unpack_from(">Ii", buf, p + 9)
                    self.roots.append((kind, oid, thread, frame))
                elif tag == 0x08:
                    thread, trace = struct.unpack_from(">II", buf, p + 9)
                    self.threads[thread] = (oid, trace)
                    self.roots.append((kind, oid, thread, -1))
                elif tag in (0x04, 0x06):
                    self.roots.append((kind, oid, u4(buf, p + 9)[0], -1))
                else:
                    self.roots.append((kind, oid, 0, -1))
                p += 9 + extra
            else:
                raise HprofError(self.path, f"unknown heap sub-record 0x{tag:02x} at byte {p}")

    def _class_dump(self, p: int) -> int:
        buf = self.buf
        cid, _, super_id = struct.unpack_from(">QIQ", buf, p)
        p += 8 + 4 + 8 * 6
        (size,) = _U4.unpack_from(buf, p)
        p += 4
        (n,) = struct.unpack_from(">H", buf, p)
        p += 2
        for _ in range(n):  # constant pool: u2 index, u1 type, value
            p += 3 + SIZES[buf[p + 2]]
        (n,) = struct.unpack_from(">H", buf, p)
        p += 2
        statics = []
        for _ in range(n):
            sid, t = struct.unpack_from(">QB", buf, p)
            (value,) = struct.unpack_from(_CODES[t], buf, p + 9)
            statics.append((self.string(sid), t, value))
            p += 9 + SIZES[t]
        (n,) = struct.unpack_from(">H", buf, p)
        p += 2
        own = []
        for _ in range(n):
            sid, t = struct.unpack_from(">QB", buf, p)
            own.append((self.string(sid), t))
            p += 9
        self.classes[cid] = ClassInfo(cid, "", super_id, size, statics, own)
        return p

    def _index(self, inst: list[int], objarr: list[int], prim: list[int]) -> None:
        for c in self.classes.values():
            c.name = self.class_names.get(c.id, f"<class 0x{c.id:x}>")
        self.inst_off = np.array(inst, dtype=np.int64)
        self.objarr_off = np.array(objarr, dtype=np.int64)
        self.prim_off = np.array(prim, dtype=np.int64)
        class_ids = np.array(sorted(self.classes), dtype=np.uint64)
        parts = [(self.ids_at(self.inst_off + 1), KIND_INSTANCE, self.inst_off),
                 (self.ids_at(self.objarr_off + 1), KIND_OBJ_ARRAY, self.objarr_off),
                 (class_ids, KIND_CLASS, np.full(len(class_ids), -1, dtype=np.int64))]
        ids = np.concatenate([x[0] for x in parts])
        kinds = np.concatenate([np.full(len(x[0]), x[1], dtype=np.int8) for x in parts])
        offs = np.concatenate([x[2] for x in parts])
        order = np.argsort(ids, kind="stable")  # dumps list objects mostly by address: nearly sorted runs
        self.ids, self.kinds, self.offsets = ids[order], kinds[order], offs[order]
        # the class of each object (class id; 0 for primitive arrays and classes)
        cls = np.zeros(len(ids), dtype=np.uint64)
        where = self.kinds == KIND_INSTANCE
        cls[where] = self.ids_at(self.offsets[where] + 13)
        where = self.kinds == KIND_OBJ_ARRAY
        cls[where] = self.ids_at(self.offsets[where] + 17)
        self.class_of = cls
        # primitive arrays are leaves: kept out of the object numbering (and the graph), found by id here
        prim_ids = self.ids_at(self.prim_off + 1)
        order = np.argsort(prim_ids, kind="stable")
        self.prim_ids, self.prim_off = prim_ids[order], self.prim_off[order]
        self.by_name = {c.name: c for c in self.classes.values()}

    # ---------------------------------------------------------------- lookups
    def ids_at(self, offsets: np.ndarray) -> np.ndarray:
        """The 8-byte big-endian ids at these byte offsets (vectorized: one big-endian view of the file per
        alignment, so no (n, 8) index matrix is built)."""
        offsets = np.asarray(offsets, dtype=np.int64)
        out = np.zeros(len(offsets), dtype=np.uint64)
        if not len(offsets):
            return out
        align = (offsets & 7).astype(np.uint8)
        order = np.argsort(align, kind="stable")  # a radix sort for 8-bit keys: the offsets by alignment
        bounds = np.concatenate([[0], np.cumsum(np.bincount(align, minlength=8))])
        for k in range(8):
            if bounds[k] == bounds[k + 1]:
                continue
            view = self._views.get(k)
            if view is None:
                view = self._views[k] = np.frombuffer(self.buf, dtype=">u8", offset=k, count=(len(self.buf) - k) // 8)
            where = order[bounds[k]:bounds[k + 1]]
            out[where] = view[offsets[where] >> 3]
        return out

    def u4_at(self, offsets: np.ndarray) -> np.ndarray:
        """The 4-byte big-endian unsigned ints at these byte offsets."""
        offsets = np.asarray(offsets, dtype=np.int64)
        raw = self.arr[offsets[:, None] + np.arange(4)] if len(offsets) else np.zeros((0, 4), np.uint8)
        return raw.view(">u4").ravel().astype(np.uint32)

    def indices_of(self, ids: np.ndarray) -> np.ndarray:
        """Object indices of these ids (int64; -1 for null or an id not in the dump). Object ids are heap
        addresses: a dense table over the address range when it is not much larger than the object count,
        else a binary search."""
        ids = np.asarray(ids, dtype=np.uint64)
        n = len(self.ids)
        if not n:
            return np.full(len(ids), -1, dtype=np.int64)
        lo, hi = int(self.ids[0]), int(self.ids[-1])
        span = ((hi - lo) >> 3) + 1
        if span <= 8 * n and not ((self.ids - np.uint64(lo)) & np.uint64(7)).any():
            if self._table is None:
                self._table = np.full(span, -1, dtype=np.int32)
                self._table[((self.ids - np.uint64(lo)) >> np.uint64(3)).astype(np.int64)] = np.arange(n, dtype=np.int32)
            out = np.full(len(ids), -1, dtype=np.int64)
            ok = (ids >= np.uint64(lo)) & (ids <= np.uint64(hi)) & ((ids & np.uint64(7)) == np.uint64(lo & 7))
            out[ok] = self._table[((ids[ok] - np.uint64(lo)) >> np.uint64(3)).astype(np.int64)]
            return out
        i = np.searchsorted(self.ids, ids)
        i[i >= n] = 0
        return np.where((ids != 0) & (self.ids[i] == ids), i, -1)

    def string(self, sid: int) -> str:
        if sid == 0 or sid not in self.strings:
            return "" if sid == 0 else f"<string 0x{sid:x}>"
        off, n = self.strings[sid]
        return bytes(self.buf[off:off + n]).decode("utf-8", "replace")

    def index_of(self, oid: int) -> int:
        """The object's index, or -1 when the id is null or not in the dump."""
        i = int(np.searchsorted(self.ids, np.uint64(oid)))
        return i if oid and i < len(self.ids) and int(self.ids[i]) == oid else -1

    def class_named(self, name: str) -> ClassInfo | None:
        return self.by_name.get(name)

    def subclasses(self, name: str) -> list[ClassInfo]:
        """The class of that name and every class below it in this dump."""
        out = []
        for c in self.classes.values():
            k: ClassInfo | None = c
            while k is not None:
                if k.name == name:
                    out.append(c)
                    break
                k = self.classes.get(k.super_id)
        return out

    def layout(self, cid: int) -> list[Field]:
        """The instance fields of a class with their offsets: own fields first, then the superclass's
        ([] for a class the dump does not describe)."""
        c = self.classes.get(cid)
        if c is None:
            return []
        if c.layout is None:
            fields, off, k = [], 0, c
            while k is not None:
                for name, t in k.own_fields:
                    fields.append(Field(name, t, off, k.name))
                    off += SIZES[t]
                k = self.classes.get(k.super_id)
            c.layout = fields
        return c.layout

    def class_name_of(self, index: int) -> str:
        kind = int(self.kinds[index])
        if kind == KIND_CLASS:
            return "java.lang.Class"
        return self.class_names.get(int(self.class_of[index]), "?")

    def fields(self, index: int) -> dict[str, object]:
        """An instance's fields by name (the subclass's field wins on a name clash); ids as ints."""
        if int(self.kinds[index]) != KIND_INSTANCE:
            return {}
        off = int(self.offsets[index]) + 25
        out: dict[str, object] = {}
        for f in self.layout(int(self.class_of[index])):
            if f.name not in out:
                out[f.name] = struct.unpack_from(_CODES[f.type], self.buf, off + f.offset)[0]
        return out

    def prim_array(self, oid: int) -> tuple[str, bytes] | None:
        """A primitive array's element type and raw (big-endian) bytes, by id; None when absent."""
        i = int(np.searchsorted(self.prim_ids, np.uint64(oid)))
        if not oid or i >= len(self.prim_ids) or int(self.prim_ids[i]) != oid:
            return None
        off = int(self.prim_off[i])
        n, t = _PRIM.unpack_from(self.buf, off + 13)
        return _PRIM_NAMES.get(t, "?"), bytes(self.buf[off + 18:off + 18 + n * SIZES[t]])

    def read_string(self, oid: int) -> str | None:
        """A java.lang.String's text (compact strings: latin-1 or UTF-16LE by ``coder``; char[] before 9)."""
        i = self.index_of(oid)
        if i < 0:
            return None
        f = self.fields(i)
        value = self.prim_array(int(f.get("value") or 0))  # type: ignore[call-overload]
        if value is None:
            return None
        kind, data = value
        if kind == "char":
            return data.decode("utf-16-be", "replace")
        return data.decode("utf-16-le" if f.get("coder") == 1 else "latin-1", "replace")

    def frame_label(self, frame_id: int) -> str:
        if frame_id not in self.frames:
            return "?"
        method, _, source, serial, line = self.frames[frame_id]
        cls = self.class_names.get(self.class_serials.get(serial, 0), "?")
        where = self.string(source) or "Unknown Source"
        return f"{cls}.{self.string(method)}({where}{':' + str(line) if line > 0 else ''})"

    def thread_name(self, serial: int) -> str:
        oid = self.threads.get(serial, (0, 0))[0]
        i = self.index_of(oid)
        name = self.read_string(int(self.fields(i).get("name") or 0)) if i >= 0 else None
        return name if name is not None else f"#{serial}"

    def frame_of(self, thread_serial: int, frame: int) -> str:
        trace = self.threads.get(thread_serial, (0, 0))[1]
        frames = self.traces.get(trace, (0, []))[1]
        return self.frame_label(frames[frame]) if 0 <= frame < len(frames) else "?"
