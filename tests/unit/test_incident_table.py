"""The side-by-side table of `directmem reproduce` (incidents/report.py) on Runs loaded from recorded run
directories (tests/data/rundirs): with several Docker engines each row names the engine that ran it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest_directmem as dm
from pytest_directmem.incidents import registry, report
from pytest_directmem.incidents.model import VariantResult
from pytest_directmem.incidents.runner import Job, JobFailure

DIRS = Path(__file__).parent.parent / "data" / "rundirs"
OTHER = "tcp://127.0.0.1:2375"


def _loaded(name: str, tmp_path: Path, engine: str | None = None) -> dm.Run:
    """The recorded run `name`; with `engine`, a copy whose status.json names that engine instead (the recorded
    runs all ran on the local socket)."""
    if engine is None:
        return dm.load_run(DIRS / name)
    copy = tmp_path / name
    shutil.copytree(DIRS / name, copy)
    status = json.loads((copy / "status.json").read_text())
    status["container"]["engine"] = engine
    (copy / "status.json").write_text(json.dumps(status))
    return dm.load_run(copy)


def _results(tmp_path: Path) -> list:
    variant = registry.get("container-oom-kill").variants[0]
    runs = [_loaded("jdk17-oom-killed", tmp_path), _loaded("jdk21-oom-killed", tmp_path, OTHER),
            _loaded("jdk17-direct-oom", tmp_path)]
    assert runs[0].container.engine == "unix:///var/run/docker.sock" and runs[1].container.engine == OTHER
    assert runs[2].container is None  # a local run
    return [VariantResult(variant, r, {}, None) for r in runs] + [JobFailure(Job(variant, "21"), "no such engine")]


def test_each_row_names_its_engine_when_there_are_several(tmp_path):
    results = _results(tmp_path)
    assert report.show_engines(results)  # two engines ran these
    lines = report.table(results, engine=True).splitlines()
    head = lines[0].split()
    assert head[head.index("container") + 1] == "engine"
    rows = [ln for ln in lines[2:] if ln.startswith(results[0].variant.name)]
    assert len(rows) == 4
    col = lines[0].index("engine")  # every row's engine starts under the heading
    assert [r[col:].split()[0] for r in rows] == ["unix:///var/run/docker.sock", OTHER, "-", "-"]
    assert "17.0" in rows[0] and "21.0" in rows[1] and "OOMKilled" in rows[1] and "NO RUN" in rows[3]
    cells = [report.row(r, engine=True)[0] for r in results]
    assert {len(c) for c in cells} == {len(report.HEAD) + 1}


def test_no_engine_column_with_one_engine(tmp_path):
    results = _results(tmp_path)
    one = [results[0], results[2]]  # the local socket and a local run
    assert not report.show_engines(one) and not report.show_engines(one, ("unix:///var/run/docker.sock",))
    assert report.show_engines(one, ("unix:///var/run/docker.sock", OTHER))  # configured: two engines
    text = report.table(one)
    assert "engine" not in text and "unix://" not in text
    assert {len(report.row(r)[0]) for r in results} == {len(report.HEAD)}


def test_json_names_the_engine(tmp_path):
    results = _results(tmp_path)
    assert [r.to_json()["engine"] for r in results] == ["unix:///var/run/docker.sock", OTHER, None, None]
