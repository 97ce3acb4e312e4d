"""The `directmem` command: run workloads and the seed demo from a shell."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import click

from . import workloads as w
from .config import human_size
from .errors import DirectmemError
from .result import Run


def _table(rows: list[tuple[str, Run]]) -> str:
    head = ("run", "outcome", "OOM message", "heap dumps", "System.gc() GCs", "full GCs", "time")
    body = []
    for name, run in rows:
        msg = run.oom.message if run.oom else (run.error.splitlines()[0] if run.error else "-")
        body.append((name, str(run.outcome), msg or "(no message)", str(len(run.heap_dumps)), str(run.gc.explicit_count),
                     str(run.gc.full_count), f"{run.duration_s:.2f}s"))
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(tuple("-" * x for x in widths)), *map(line, body)])


@click.group()
@click.version_option(package_name="pytest-directmem")
def main() -> None:
    """Reproduce JVM direct-memory exhaustion on purpose and see what happened."""


@main.command()
@click.option("--jdk", default=None, help="system (default), a major like 17, or a JAVA_HOME")
def demo(jdk: str | None) -> None:
    """The seed story side by side: explicit GC rescues churn, DisableExplicitGC gives a direct OOM
    without a heap dump (HeapDumpOnOutOfMemoryError is on), and a heap OOM control writes one."""
    from .harness import launch

    common: dict[str, Any] = {"jdk": jdk, "heap": "64m", "heap_dump_on_oom": True}
    plan = [
        ("churn, explicit GC on", w.churn(200, "1m"), {"max_direct": "16m", "explicit_gc": "enabled"}),
        ("churn, -XX:+DisableExplicitGC", w.churn(200, "1m"), {"max_direct": "16m", "explicit_gc": "disabled"}),
        ("heap OOM control", w.heap_hog("1m"), {}),
    ]
    root = Path("directmem-artifacts") / "demo"
    shutil.rmtree(root, ignore_errors=True)
    rows = []
    for i, (name, workload, opts) in enumerate(plan, 1):
        click.echo(f"running {name}: {workload} with {', '.join(f'{k}={v}' for k, v in opts.items()) or 'heap=64m'} ...", err=True)
        rows.append((name, launch(workload, **common, **opts, artifacts_dir=root / f"{i}-{workload.slug}")))
    first = rows[0][1]
    click.echo(f"\nJDK {first.jvm.version} ({first.jvm.java_home}), -Xmx64m, -XX:MaxDirectMemorySize=16m, "
               f"-XX:+HeapDumpOnOutOfMemoryError\n")
    click.echo(_table(rows))
    click.echo("")
    for name, run in rows:
        click.echo(f"{name}: artifacts in {run.artifacts}")
    direct = rows[1][1]
    click.echo(f"\nThe direct OOM was thrown from Java code ({direct.oom.stack[0] if direct.oom and direct.oom.stack else '?'}),"
               " so the JVM's HeapDumpOnOutOfMemoryError hook never ran.")


_WORKLOADS = {
    "churn": lambda o: w.churn(o["count"], o["size"], o["keep_every"]),
    "hold": lambda o: w.hold(o["size"], o["count"]),
    "heap_hog": lambda o: w.heap_hog(o["size"] or "1m"),
    "unsafe_alloc": lambda o: w.unsafe_alloc(o["size"], o["count"]),
    "socket_write": lambda o: w.socket_write(o["threads"], o["size"], o["count"], hold=o["hold"]),
    "storm": lambda o: w.storm(o["threads"], o["size"], o["duration"]),
}


@main.command()
@click.argument("workload", type=click.Choice(sorted(_WORKLOADS)))
@click.option("--count", type=int, default=None, help="churn/hold/unsafe_alloc count; socket_write writes")
@click.option("--size", default=None, help='buffer size ("1m"); heap_hog chunk; socket_write payload')
@click.option("--keep-every", type=int, default=0, show_default=True)
@click.option("--threads", type=int, default=1, show_default=True)
@click.option("--duration", default="2s", show_default=True, help="storm duration")
@click.option("--hold", "hold_", default="0", help="socket_write: direct bytes held first")
@click.option("--jdk", default=None)
@click.option("--backend", default="local", show_default=True)
@click.option("--heap", default=None)
@click.option("--max-direct", default=None)
@click.option("--disable-explicit-gc", "explicit_gc", flag_value="disabled")
@click.option("--concurrent-explicit-gc", "explicit_gc", flag_value="concurrent")
@click.option("--gc", default=None)
@click.option("--memory", default=None, help="container memory limit (docker backend)")
@click.option("--timeout", type=float, default=60.0, show_default=True)
@click.option("--flag", "flags", multiple=True, help="an extra JVM flag (repeatable)")
def run(workload: str, count: int | None, size: str | None, keep_every: int, threads: int, duration: str,
        hold_: str, jdk: str | None, backend: str, heap: str | None, max_direct: str | None, explicit_gc: str | None,
        gc: str | None, memory: str | None, timeout: float, flags: tuple[str, ...]) -> None:
    """Run one built-in workload and print what happened (exit 0 unless the harness failed)."""
    from .harness import launch

    o = {"count": count, "size": size, "keep_every": keep_every, "threads": threads, "duration": duration, "hold": hold_}
    try:
        wl = _WORKLOADS[workload](o)
        result = launch(wl, jdk=jdk, backend=backend, heap=heap, max_direct=max_direct,
                        explicit_gc=explicit_gc or "enabled", gc=gc, memory=memory, timeout=timeout, flags=list(flags))
    except DirectmemError as e:
        raise click.ClickException(str(e)) from None
    click.echo(result.summary(tail=10))
    click.echo(f"\ndirect pool peak {human_size(result.direct.peak_used)} of limit {human_size(result.direct.limit)}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
