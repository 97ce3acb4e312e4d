"""`directmem diagnose DUMP.hprof|RUN_DIR [--json] [--report PATH]`: who holds the direct memory.

A directory stands for a run's artifacts: every heap dump in it (``*.hprof``, ``*.hprof.gz``) is
analysed, and for a run made with diagnose=True its allocation sites and native memory (NMT) are shown
first. Exit status: 0 analysed, 2 not a heap dump / no dump in the directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["diagnose"]


def _run(target: Path):  # -> Run | None: the run of an artifacts directory made with diagnose=True
    from .. import artifacts as A
    from ..observe.load import load_run

    if not (target.is_dir() and (target / A.SPEC).is_file()):
        return None
    run = load_run(target)
    return run if run.diagnosis is not None else None


def _dumps(target: Path, run) -> list[Path]:
    from ..errors import ConfigError

    if target.is_dir():
        found = sorted(p for p in target.rglob("*") if p.is_file() and p.name.endswith((".hprof", ".hprof.gz")))
        if not found and run is not None:
            return []
        if not found:
            raise ConfigError("dump", str(target), "no heap dump (*.hprof, *.hprof.gz) in this directory: a direct OOM writes none; "
                              "run it again with --diagnose (diagnose=True) for a dump taken at the OOM")
        return found
    return [target]


@click.command(context_settings={"max_content_width": 110})
@click.argument("target", metavar="DUMP.hprof|RUN_DIR", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "json_out", is_flag=True, help="print the analysis as JSON on stdout")
@click.option("--report", type=click.Path(dir_okay=False), default=None, help="write a self-contained HTML page here: what the text shows (for a --diagnose run its allocation sites with a flame graph and NMT, then every dump)")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="holders to print")
@click.option("-q", "--quiet", is_flag=True, help="no progress on stderr")
def diagnose(target: Path, json_out: bool, report: str | None, limit: int, quiet: bool) -> None:
    """Who holds the direct buffers of a HotSpot heap dump (JDK 11-25; plain or gzipped): holders with
    their paths from the GC roots, largest first; garbage waiting for its Cleaner; the failed request's
    half-built buffer; mapped and native-made buffers outside the limit. For a run directory made with
    --diagnose, also who allocated (allocation sites by bytes and calls) and native memory per NMT category."""
    from .errors import EXIT_USAGE, CliError
    from ..diagnose import analyze_dump
    from ..diagnose.render import analysis_text, write_analysis_report
    from ..errors import ConfigError

    from ..report.investigation import investigation_record, sites_and_native_lines

    try:
        say = None if quiet else (lambda line: click.echo(f"directmem: {line}", err=True))
        run = _run(target)
        analyses = [analyze_dump(p, progress=say) for p in _dumps(target, run)]
    except ConfigError as e:
        raise CliError(str(e), EXIT_USAGE) from None
    if json_out:
        payload = [a.to_dict() for a in analyses]
        if run is not None:  # {"investigation": sites, native, ...; "dumps": [...]}
            record = investigation_record(run) or {}
            record.pop("flame", None)
            click.echo(json.dumps({"investigation": record, "dumps": payload}, indent=1, default=str))
        else:
            click.echo(json.dumps(payload[0] if len(payload) == 1 and not target.is_dir() else payload, indent=1,
                                  default=str))
    else:
        head = ["who allocated and where native memory went (diagnose=True):", *sites_and_native_lines(run)] \
            if run is not None else []
        click.echo("\n\n".join(["\n".join(head)] * bool(head) + [analysis_text(a, limit) for a in analyses]))
    if report:  # one page with what the text shows: the run's sites and NMT (or why none), then every dump
        what = "a bare heap dump" if not target.is_dir() else "this directory (not a run made with --diagnose)"
        out = write_analysis_report(analyses, report, run=run, target=target, what=what)
        click.echo(f"report: {out}", err=True)
