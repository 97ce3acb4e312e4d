"""Incident, Variant and their results: data plus the one thing they do, run and compare with the pins."""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..result import Run
from ..workloads import Workload
from . import facts, pins

DEFAULT_TIMEOUT = 60.0
MERGED = ("flags", "properties")  # overrides extend these instead of replacing them


@dataclass(frozen=True)
class Variant:
    """One configuration of an incident: a workload, launch options and the facts that matter.

    ``options`` are dm.launch keywords (``backend="docker"`` for container variants; without a
    backend the run uses the caller's default). A callable is evaluated when the variant runs
    (for options that need work, e.g. resolving a classpath).
    """

    name: str
    workload: Workload
    options: Mapping[str, Any] | Callable[[], Mapping[str, Any]] = field(default_factory=dict)
    facts: tuple[str, ...] = ("outcome",)
    shows: str = ""  # one line: what this variant demonstrates
    incident: str = ""  # set by the Incident that holds it

    def __post_init__(self) -> None:
        for name in self.facts:
            facts.check_name(name)
        if "outcome" not in self.facts:
            object.__setattr__(self, "facts", ("outcome", *self.facts))

    def __str__(self) -> str:
        return f"{self.incident}/{self.name}" if self.incident else self.name

    @property
    def backend(self) -> str | None:
        """The backend the variant pins (None: the caller's default, local unless told otherwise)."""
        return None if callable(self.options) else self.options.get("backend")

    def launch_options(self, **overrides: Any) -> dict[str, Any]:
        """The variant's options with the caller's overrides; flags are appended, properties merged."""
        opts = dict(self.options() if callable(self.options) else self.options)
        opts.setdefault("timeout", DEFAULT_TIMEOUT)
        for key, value in overrides.items():
            if key in MERGED and opts.get(key):
                opts[key] = [*opts[key], *value] if key == "flags" else {**opts[key], **value}
            else:
                opts[key] = value
        return opts

    def run(self, directmem: Any = None, *, expect: Mapping[str, Any] | None = None, **overrides: Any) -> VariantResult:
        """Run the variant and compare its facts with the expectation pinned for the run's JDK.

        ``directmem``: the pytest fixture (its defaults apply: JDK parametrization, backend,
        artifacts under tmp_path), or None to call dm.launch directly. ``overrides``: dm.launch
        keywords layered over the variant's (``jdk="21"``, ``flags=[...]``, ``backend="docker"``).
        ``expect``: facts that replace the pinned ones. Returns the result; ``.check()`` asserts.
        """
        options = self.launch_options(**overrides)
        if directmem is None:
            from ..launcher import launch

            run = launch(self.workload, **options)
        else:
            run = directmem.run(self.workload, **options)
        return self.judge(run, expect=expect, overridden=sorted(k for k in overrides if k not in ("jdk", "artifacts_dir")))

    def judge(self, run: Run, *, expect: Mapping[str, Any] | None = None, overridden: Sequence[str] = ()) -> VariantResult:
        """Measure a finished run's facts and compare them with the pins (and ``expect``)."""
        measured = facts.measure(run, self.facts)
        pinned = pins.pinned(self.incident, self.name, run.jvm.major)
        expected = None if pinned is None else {k: pinned[k] for k in self.facts if k in pinned}
        if expect:
            expected = {**(expected or {}), **expect}
        return VariantResult(self, run, measured, expected, tuple(overridden))


CATALOG = Path(__file__).with_name("catalog.json")  # what each incident is: prose, kept as data


@functools.lru_cache(maxsize=1)
def _catalog() -> dict[str, dict[str, Any]]:
    return json.loads(CATALOG.read_text())


@dataclass(frozen=True)
class Incident:
    """A real incident as a runnable scenario: where it was reported, why it happens, its variants."""

    id: str
    variants: tuple[Variant, ...]
    title: str = ""  # title, sources, cause, vary and story: from catalog.json by id when not given
    sources: tuple[str, ...] = ()
    cause: str = ""
    vary: str = ""
    story: str = ""

    def __post_init__(self) -> None:
        described = _catalog().get(self.id)
        if not self.title:
            if described is None:
                raise ValueError(f"incident {self.id}: not described in {CATALOG.name} (title, sources, cause, vary, story)")
            for key in ("title", "cause", "vary", "story"):
                object.__setattr__(self, key, described[key])
            object.__setattr__(self, "sources", tuple(described["sources"]))
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"incident {self.id}: duplicate variant names {names}")
        object.__setattr__(self, "variants", tuple(dataclasses.replace(v, incident=self.id) for v in self.variants))

    def __str__(self) -> str:
        return self.id

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(f"incident {self.id} has no variant {name!r}; variants: {', '.join(v.name for v in self.variants)}")

    def run(self, directmem: Any = None, *, variants: Sequence[str] | None = None, check: bool = True,
            expect: Mapping[str, Mapping[str, Any]] | None = None, **overrides: Any) -> IncidentResult:
        """Run every variant (or the named ones) and compare each with its pins; assert unless check=False.

        ``expect`` maps a variant name to facts that replace its pinned ones.
        """
        __tracebackhide__ = True
        chosen = self.variants if variants is None else tuple(self.variant(n) for n in variants)
        results = tuple(v.run(directmem, expect=(expect or {}).get(v.name), **overrides) for v in chosen)
        result = IncidentResult(self, results)
        if check:
            result.check()
        return result


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    run: Run
    measured: dict[str, Any]
    expected: dict[str, Any] | None  # None: nothing pinned for this JDK
    overridden: tuple[str, ...] = ()  # options the caller changed from the variant's

    @property
    def major(self) -> int | None:
        return self.run.jvm.major

    @property
    def mismatches(self) -> list[tuple[str, Any, Any]]:
        """(fact, expected, measured) for every fact that differs (or is not pinned)."""
        if self.expected is None:
            return []
        out = []
        for name, value in self.measured.items():
            want = self.expected.get(name, pins.MISSING)
            if want != value:
                out.append((name, want, value))
        return out

    @property
    def ok(self) -> bool:
        return self.expected is not None and not self.mismatches

    def explain(self) -> str:
        """Expected vs. measured, fact by fact, then the run's whole summary."""
        jvm = f"JDK {self.run.jvm.version or '?'}" + (f" (major {self.major})" if self.major else "")
        head = f"incident {self.variant}: {jvm} on the {self.run.backend} backend"
        if self.overridden:
            head += f" (options changed from the variant's: {', '.join(self.overridden)})"
        if self.expected is None:
            lines = [f"{head}: no expectation pinned for JDK major {self.major}"
                     f" (pinned: {', '.join(pins.pinned_majors(self.variant.incident, self.variant.name)) or 'none'});"
                     f" measure and pin with: {pins.PIN_COMMAND} --only {self.variant.incident} --jdk {self.major}"]
        else:
            bad = self.mismatches
            lines = [f"{head}: {len(bad)} of {len(self.measured)} facts differ from the expectation"
                     if bad else f"{head}: all {len(self.measured)} facts as expected"]
        rows = [("fact", "expected", "measured", "")]
        for name, value in self.measured.items():
            want = None if self.expected is None else self.expected.get(name, pins.MISSING)
            shown = "(not pinned)" if want is pins.MISSING or self.expected is None else facts.show(name, want)
            differs = self.expected is not None and want != value
            rows.append((name, shown, facts.show(name, value), "<-- differs" if differs else ""))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines += ["  " + "  ".join(c.ljust(widths[i]) if i < 3 else c for i, c in enumerate(r)).rstrip() for r in rows]
        if self.variant.shows:
            lines.append(f"this variant shows: {self.variant.shows}")
        return "\n".join(lines) + "\n\n" + self.run.summary()

    def check(self) -> VariantResult:
        __tracebackhide__ = True  # pytest: the message says it all
        if not self.ok:
            raise AssertionError(self.explain())
        return self

    def to_json(self) -> dict[str, Any]:
        r = self.run
        return {
            "incident": self.variant.incident, "variant": self.variant.name, "backend": r.backend,
            "jdk": r.jvm.version, "major": self.major, "measured": self.measured, "expected": self.expected,
            "ok": self.ok, "message": r.oom.message if r.oom else None, "heap_dumps": len(r.heap_dumps),
            "explicit_gcs": r.gc.explicit_count, "full_gcs": r.gc.full_count, "gc_events": len(r.gc.events),
            "gc_pause_ms": r.gc.total_pause_ms, "direct_limit": r.direct.limit, "direct_peak": r.direct.peak_used,
            "max_heap": r.jvm.max_heap, "memory_limit": r.container.memory_limit if r.container else None,
            "peak_rss": r.peak_rss, "time_to_oom_s": r.time_to_oom_s, "duration_s": r.duration_s,
            "exit_code": r.exit_code, "error": r.error.splitlines()[0] if r.error else None,
            "engine": r.container.engine if r.container else None,  # the Docker engine's URL as configured
        }


@dataclass(frozen=True)
class IncidentResult:
    incident: Incident
    results: tuple[VariantResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def check(self) -> IncidentResult:
        __tracebackhide__ = True
        bad = [r for r in self.results if not r.ok]
        if bad:
            raise AssertionError(f"incident {self.incident.id}: {len(bad)} of {len(self.results)} variants differ\n\n"
                                 + "\n\n".join(r.explain() for r in bad))
        return self
