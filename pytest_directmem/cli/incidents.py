"""Click commands `directmem incidents` and `directmem reproduce` (registered by pytest_directmem.cli)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from ..incidents import registry, report, runner

JDK_HELP = "a JDK (system, 17, a JAVA_HOME) or a comma list such as 11,17,21,25 (default: system)"


def parse_jdks(value: str | None) -> list[str | None]:
    if not value:
        return [None]
    items = [j.strip() for j in value.split(",")]
    if any(not j for j in items) or len(set(items)) != len(items):
        raise click.BadParameter("a comma-separated list of distinct JDKs, e.g. 11,17,21,25", param_hint="--jdk")
    return list(items)


def _check_options(jdks: list[str | None], flags: tuple[str, ...]) -> None:
    """A bad --jdk or --flag is a usage error (exit 2) before any run, as in `directmem run`."""
    from ..config import JvmConfig
    from ..errors import ConfigError
    from ..jdk import validate_jdk_spec

    try:
        for j in jdks:
            validate_jdk_spec(j, "--jdk")
        JvmConfig.create(flags=list(flags), sources={"flags": "--flag"})
    except ConfigError as e:
        raise click.UsageError(str(e)) from None


def _engines(results: list) -> tuple[str, ...]:
    """The Docker engines this process spreads its docker runs over (--docker-host, DIRECTMEM_DOCKER_HOSTS,
    DOCKER_HOST): () when no result ran in a container."""
    from ..backends.engine import configured
    from ..errors import ConfigError

    if not any(getattr(getattr(r, "run", None), "container", None) for r in results):
        return ()
    try:
        return configured()
    except ConfigError:
        return ()


@click.command("incidents")
@click.option("-v", "--verbose", is_flag=True, help="also list each incident's variants and what they show")
@click.option("--json", "as_json", is_flag=True, help="machine-readable: ids, titles, sources, variants")
def incidents(verbose: bool, as_json: bool) -> None:
    """List the incident library (run one with `directmem reproduce ID`)."""
    items = registry.all_incidents()
    if as_json:
        click.echo(json.dumps([{
            "id": i.id, "title": i.title, "sources": list(i.sources), "cause": i.cause, "vary": i.vary,
            "variants": [{"name": v.name, "backend": v.backend or "local", "workload": str(v.workload),
                          "facts": list(v.facts), "shows": v.shows} for v in i.variants],
        } for i in items], indent=1))
        return
    width = max(len(i.id) for i in items)
    for i in items:
        backends = sorted({v.backend or "local" for v in i.variants})
        click.echo(f"{i.id:<{width}}  {i.title}")
        click.echo(f"{'':<{width}}  {len(i.variants)} variants ({', '.join(backends)}); sources: {'; '.join(i.sources)}")
        if verbose:
            for v in i.variants:
                click.echo(f"{'':<{width}}    {v.name}: {v.shows or v.workload}")
    click.echo(f"\n{len(items)} incidents, {sum(len(i.variants) for i in items)} variants. "
               "Run one: directmem reproduce ID [--jdk 11,17,21,25] [--backend docker]")


@click.command("reproduce")
@click.argument("incident_ids", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="every incident of the library")
@click.option("--variant", "variants", multiple=True, help="only this variant (repeatable)")
@click.option("--jdk", default=None, help=JDK_HELP)
@click.option("--backend", type=click.Choice(["local", "docker"]), default=None,
              help="backend for the variants that do not pin one (container variants always run on docker)")
@click.option("--flag", "flags", multiple=True, help="an extra JVM flag for every run (repeatable): check your own flags")
@click.option("--repeat", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="run the whole selection this many times in a row and report whether every pass measured the same facts")
@click.option("--workers", type=click.IntRange(1, 64), default=os.cpu_count() or 2, show_default=True,
              help="runs at a time")
@click.option("--docker-host", "docker_hosts", multiple=True, metavar="URL",
              help="a Docker engine to spread docker runs over (repeatable; unix://, tcp://, ssh://)")
@click.option("--keep", is_flag=True, help="keep every run's artifacts (by default only runs that differ from their pins keep them)")
@click.option("--artifacts", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where artifacts go (default: a new temp directory)")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="also write every result (measured, expected, GC counts, timings, engine) to this JSON file")
def reproduce(incident_ids: tuple[str, ...], run_all: bool, variants: tuple[str, ...], jdk: str | None,
              backend: str | None, flags: tuple[str, ...], repeat: int, workers: int, docker_hosts: tuple[str, ...],
              keep: bool, artifacts: Path | None, json_path: Path | None) -> None:
    """Run incidents with their variants side by side and compare each run with the pinned expectation.

    Prints per variant and JDK: outcome, OOM message and top frame, heap dumps, System.gc()/full GC
    counts, the computed direct limit and heap, the container's state (and, with more than one Docker
    engine, the engine's URL), the time to the OOM, and whether the measured facts match the pins. Exit status 1 when any run differs from its pins
    (or, with --repeat, when passes disagree).
    """
    if run_all == bool(incident_ids):
        raise click.UsageError("name incidents (see `directmem incidents`) or pass --all, not both")
    try:
        chosen = registry.all_incidents() if run_all else [registry.get(i) for i in incident_ids]
    except KeyError as e:
        raise click.UsageError(str(e.args[0])) from None
    known = {v.name for i in chosen for v in i.variants}
    for name in variants:
        if name not in known:
            raise click.UsageError(f"no variant {name!r} in {', '.join(i.id for i in chosen)}; variants: {', '.join(sorted(known))}")
    jdks = parse_jdks(jdk)
    _check_options(jdks, flags)
    if docker_hosts:
        from ..backends.engine import configure, parse_hosts
        from ..errors import ConfigError

        try:
            configure(parse_hosts(list(docker_hosts), "--docker-host"))  # every docker run picks the least busy
        except ConfigError as e:
            raise click.UsageError(str(e)) from None
    jobs = runner.plan(chosen, jdks, backend=backend, repeat=repeat, variants=variants, flags=flags)
    click.echo(f"running {len(jobs)} runs ({len(jobs) // repeat} per pass x {repeat}) with {workers} at a time ...", err=True)
    done = [0]

    def progress(result: object) -> None:
        done[0] += 1
        if repeat > 1 or len(jobs) > 20:
            mark = "." if getattr(result, "ok", False) else "x"
            click.echo(mark, nl=done[0] % 80 == 0, err=True)

    t0 = time.monotonic()
    results = runner.execute(jobs, workers=workers, root=artifacts, keep=keep, progress=progress)
    elapsed = time.monotonic() - t0
    click.echo("", err=True)
    first = [r for r, j in zip(results, jobs) if j.index == 0]
    engines = report.show_engines(results, _engines(results))  # a column naming each run's engine
    for incident in chosen:
        mine = sorted((r for r in first if r.variant.incident == incident.id),
                      key=lambda r: ([v.name for v in incident.variants].index(r.variant.name), str(runner.key(r)[2])))
        click.echo(report.incident_header(incident))
        click.echo(report.table(mine, engine=engines) + "\n")
    bad = [r for r in results if not r.ok]
    if bad:
        click.echo("differences from the pinned expectations (a changed JVM behaviour, or a JDK/flags not pinned):\n")
        click.echo(report.differences(bad) + "\n")
    stable = True
    if repeat > 1:
        text, stable = runner.stability_report(results)
        click.echo(text)
    click.echo(f"{len(results) - len(bad)} of {len(results)} runs match their pins; {elapsed:.1f}s wall with {workers} workers")
    if json_path is not None:
        json_path.write_text(json.dumps({"jdks": jdk, "repeat": repeat, "elapsed_s": round(elapsed, 1), "workers": workers,
                                         "results": [r.to_json() | {"pass": j.index} for r, j in zip(results, jobs)]},
                                        indent=1) + "\n")
        click.echo(f"results written to {json_path}")
    sys.exit(0 if not bad and stable else 1)
