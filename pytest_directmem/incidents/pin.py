"""Re-measure the library and rewrite the pinned expectations (expected.json).

    python -m pytest_directmem.incidents.pin                      # every incident, JDKs 11,17,21,25, 3 passes
    python -m pytest_directmem.incidents.pin --only seed-victim   # re-pin one incident, keep the others
    python -m pytest_directmem.incidents.pin --jdk 22 --only gc-storm   # add a JDK major

A fact is pinned only when every pass measured the same value; otherwise nothing is written and
the unstable facts are listed (fix the variant, do not loosen the fact). Runs that produced no
result (no Docker engine, no such JDK) abort the pinning too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from typing import Any, Sequence

from . import pins, registry, runner

DEFAULT_JDKS = "11,17,21,25"


def collect(results: Sequence[Any]) -> tuple[dict[str, Any], list[str], dict[str, dict[str, str]]]:
    """(incidents -> variant -> major -> facts, problems, backend -> major -> JDK versions seen)."""
    values: dict[tuple[str, str, str], dict[str, list[Any]]] = {}
    versions: dict[str, dict[str, set[str]]] = {}
    problems = []
    for r in results:
        if isinstance(r, runner.JobFailure):
            problems.append(r.explain())
            continue
        if r.major is None:
            problems.append(f"{r.variant}: the run reported no JDK version (outcome {r.run.outcome}): {r.run.error}")
            continue
        k = (r.variant.incident, r.variant.name, str(r.major))
        for name, value in r.measured.items():
            values.setdefault(k, {}).setdefault(name, []).append(value)
        versions.setdefault(r.run.backend, {}).setdefault(str(r.major), set()).add(r.run.jvm.version or "?")
    tree: dict[str, Any] = {}
    for (incident, variant, major), measured in values.items():
        pinned = {}
        for name, seen in measured.items():
            distinct = {repr(v) for v in seen}
            if len(distinct) > 1:
                problems.append(f"{incident}/{variant} on JDK {major}: fact {name} varied over {len(seen)} runs: "
                                + ", ".join(sorted(distinct)))
            pinned[name] = seen[0]
        tree.setdefault(incident, {}).setdefault(variant, {})[major] = pinned
    return tree, problems, {b: {m: ", ".join(sorted(v)) for m, v in sorted(d.items(), key=lambda x: int(x[0]))}
                            for b, d in versions.items()}


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The old tree with every (incident, variant, major) measured now replaced.

    Incidents measured now come in registry order, their variants in definition order; variants the
    registry no longer has are dropped. Incidents not registered here (another group's, not loaded)
    are kept as they were.
    """
    out: dict[str, Any] = {}
    ids = registry.ids()
    for incident in ids + [i for i in old if i not in ids]:
        variants = {**old.get(incident, {})}
        for variant, majors in new.get(incident, {}).items():
            variants[variant] = {**variants.get(variant, {}), **majors}
        if incident in ids:
            names = [v.name for v in registry.get(incident).variants]
            variants = {v: variants[v] for v in names if v in variants}
        if variants:
            out[incident] = {v: dict(sorted(m.items(), key=lambda x: int(x[0]))) for v, m in variants.items()}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pytest_directmem.incidents.pin", description=__doc__.split("\n\n")[0])
    ap.add_argument("--jdk", default=DEFAULT_JDKS, help=f"comma list of JDKs (default {DEFAULT_JDKS})")
    ap.add_argument("--only", action="append", default=[], metavar="ID", help="only this incident (repeatable)")
    ap.add_argument("--repeat", type=int, default=3, help="passes; a fact is pinned only if all agree (default 3)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--dry-run", action="store_true", help="measure and report, write nothing")
    args = ap.parse_args(argv)
    chosen = [registry.get(i) for i in args.only] if args.only else registry.all_incidents()
    jdks = [j.strip() for j in args.jdk.split(",") if j.strip()]
    jobs = runner.plan(chosen, jdks, repeat=args.repeat)
    print(f"measuring {len(jobs)} runs: {len(chosen)} incidents x JDK {','.join(jdks)} x {args.repeat} passes", file=sys.stderr)
    t0 = time.monotonic()
    results = runner.execute(jobs, workers=args.workers, keep_differing=False)
    tree, problems, versions = collect(results)
    print(f"measured in {time.monotonic() - t0:.0f}s", file=sys.stderr)
    if problems:
        print("not pinned: " + str(len(problems)) + " problem(s):\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    old = pins.load()
    command = " ".join(["python -m pytest_directmem.incidents.pin", *(argv if argv is not None else sys.argv[1:])])
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    document = {
        "about": f"Measured by the harness and pinned by `{pins.PIN_COMMAND}`; do not edit by hand.",
        "command": command.strip(),
        "measured_at": now,
        "passes": args.repeat,
        "history": [*old.get("history", []), {"command": command.strip(), "measured_at": now, "passes": args.repeat,
                                              "incidents": [i.id for i in chosen], "jdks": jdks}][-20:],
        "machine": {"cpus": os.cpu_count(), "system": f"{platform.system()} {platform.release()}"},
        "jdks": {b: {**old.get("jdks", {}).get(b, {}), **v} for b, v in {**old.get("jdks", {}), **versions}.items()},
        "incidents": merge(old.get("incidents", {}), tree),
    }
    if args.dry_run:
        print(f"dry run: {sum(len(m) for v in tree.values() for m in v.values())} (variant, JDK) expectations measured")
        return 0
    path = pins.save(document)
    print(f"pinned {sum(len(m) for v in tree.values() for m in v.values())} (variant, JDK) expectations into {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
