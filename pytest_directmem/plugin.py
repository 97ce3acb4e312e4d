"""The pytest plugin: options, marker, fixtures and report hooks. The harness lives elsewhere.

Precedence of every setting, highest first: keyword of directmem.run() > @pytest.mark.directmem
> command line > environment variable > ini file > built-in default.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from .environment import environment
from .errors import BackendUnavailable, ConfigError, DirectmemError
from .settings import SESSION_OPTIONS, Setting, resolve_settings

HELP_KEEP = "keep every run's artifacts under ./directmem-artifacts/ (by default only failing tests keep theirs)"
MARKER = ("directmem(**options): default options for the directmem fixture's runs in this test "
          "(any dm.launch keyword: max_direct=, heap=, explicit_gc=, gc=, jdk=, backend=, memory=, ...)")
HELP_REPORT = ("write one self-contained HTML report of every directmem run of the session to this path "
               "(failing tests first; failure sections link to their runs)")
REQUIRE_DOCKER = "DIRECTMEM_REQUIRE_DOCKER"

_settings_key = pytest.StashKey[dict]()
_runs_key = pytest.StashKey[list]()
_fixture_key = pytest.StashKey[Any]()
_report_key = pytest.StashKey[pytest.TestReport]()
_session_report_key = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("directmem", "JVM direct-memory runs (pytest-directmem)")
    for o in SESSION_OPTIONS:  # --directmem-backend, --directmem-jdk, ... and their ini twins
        flag = {"action": "store_const", "const": "true"} if o.cli_type == "switch" else {}  # --directmem-diagnose
        group.addoption(o.pytest_flag, dest=o.ini, default=None, help=f"{o.help} (env {o.env}, ini {o.ini})", **flag)
        parser.addini(o.ini, o.help, default=None)
    group.addoption("--directmem-keep", dest="directmem_keep", action="store_true", default=False, help=HELP_KEEP)
    group.addoption("--directmem-report", dest="directmem_report", default=None, metavar="PATH", help=HELP_REPORT)
    parser.addini("directmem_report", HELP_REPORT, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    config.addinivalue_line("markers", "docker: needs a Docker engine (skipped without one unless DIRECTMEM_REQUIRE_DOCKER=1)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    try:
        settings = resolve_settings(
            cli={o.name: config.getoption(o.ini) for o in SESSION_OPTIONS},
            env=os.environ,
            ini={o.name: config.getini(o.ini) for o in SESSION_OPTIONS},
        )
    except ConfigError as e:
        raise pytest.UsageError(str(e)) from None
    config.stash[_settings_key] = settings
    if settings["docker_hosts"].value:  # the engines docker-marked tests need (one answering is enough)
        from .backends.engine import configure

        configure(settings["docker_hosts"].value)
    report = config.getoption("directmem_report")
    base = config.invocation_params.dir
    if not report and config.getini("directmem_report"):
        report, base = config.getini("directmem_report"), (config.inipath.parent if config.inipath else config.rootpath)
    if report:
        from .report.session import SessionReport

        session_report = SessionReport((Path(base) / report).absolute(), config.invocation_params.args,
                                       writer=not hasattr(config, "workerinput"))  # xdist: the controller writes
        config.stash[_session_report_key] = session_report
        config.pluginmanager.register(session_report, "directmem-session-report")


def pytest_report_header(config: pytest.Config) -> str:
    s = config.stash[_settings_key]
    backend: Setting = s["backend"]
    jdks: Setting = s["jdk"]
    jdk_text = ",".join(jdks.value) if jdks.value else "system"
    keep = ", keeping artifacts in ./directmem-artifacts" if config.getoption("directmem_keep") else ""
    host: Setting = s["host"]
    host_text = ",".join(host.value) if isinstance(host.value, tuple) else host.value
    engines: Setting = s["docker_hosts"]
    engines_text = f", docker engines {','.join(engines.value)} ({engines.source})" if engines.value else ""
    return (f"directmem: backend={backend.value} ({backend.source}), host={host_text} ({host.source}), "
            f"jdk={jdk_text} ({jdks.source}){engines_text}{keep}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    settings = metafunc.config.stash[_settings_key]
    marker = metafunc.definition.get_closest_marker("directmem")
    pinned = marker.kwargs if marker is not None else {}  # the marker outranks the command line
    jdks: Setting = settings["jdk"]
    if "directmem_jdk" in metafunc.fixturenames and jdks.value and "jdk" not in pinned:
        metafunc.parametrize("directmem_jdk", list(jdks.value), indirect=True, ids=[f"jdk{j}" for j in jdks.value])
    hosts: Setting = settings["host"]
    if "directmem_host" in metafunc.fixturenames and isinstance(hosts.value, tuple) and "host" not in pinned:
        metafunc.parametrize("directmem_host", list(hosts.value), indirect=True, ids=list(hosts.value))


@pytest.fixture
def directmem_jdk(request: pytest.FixtureRequest) -> str | None:
    """The JDK of this test's parametrization (None: not parametrized)."""
    return getattr(request, "param", None)


@pytest.fixture
def directmem_host(request: pytest.FixtureRequest) -> str | None:
    """The host of this test's parametrization (``--directmem-host=jpype,java``; None: not parametrized)."""
    return getattr(request, "param", None)


@pytest.fixture
def directmem(request: pytest.FixtureRequest, directmem_jdk: str | None, directmem_host: str | None,
              tmp_path: Path) -> Iterator[DirectMem]:
    """Launch JVM runs from a test: ``run = directmem.run(dm.workloads.churn(200, "1m"), max_direct="16m")``."""
    settings = request.config.stash[_settings_key]
    parametrized = ("jdk", "host") if isinstance(settings["host"].value, tuple) else ("jdk",)
    defaults: dict[str, Any] = {k: v.value for k, v in settings.items()
                                if k not in parametrized and v.source != "default"}
    sources: dict[str, str] = {k: v.source for k, v in settings.items() if k in defaults}
    if directmem_jdk is not None:
        defaults["jdk"], sources["jdk"] = directmem_jdk, settings["jdk"].source
    if directmem_host is not None:
        defaults["host"], sources["host"] = directmem_host, settings["host"].source
    marker = request.node.get_closest_marker("directmem")
    if marker is not None:
        if marker.args:
            raise ConfigError("@pytest.mark.directmem", marker.args, "takes keyword options only")
        defaults.update(marker.kwargs)
        sources.update({k: "@pytest.mark.directmem" for k in marker.kwargs})
    keep = request.config.getoption("directmem_keep")
    if keep:
        root = request.config.rootpath / "directmem-artifacts" / re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-120:]
        shutil.rmtree(root, ignore_errors=True)
    else:
        root = tmp_path / "directmem"
    dm = DirectMem(defaults, sources, root)
    request.node.stash[_runs_key] = dm.runs
    request.node.stash[_fixture_key] = dm
    yield dm
    report = request.node.stash.get(_report_key, None)
    if not keep and report is not None and report.passed:
        shutil.rmtree(root, ignore_errors=True)  # heap dumps are big; failing tests keep theirs


class DirectMem:
    """The ``directmem`` fixture: runs with this test's defaults; remembers them for the report."""

    def __init__(self, defaults: dict[str, Any], sources: dict[str, str], root: Path):
        self.defaults = defaults
        self._sources = sources
        self.root = root
        self.runs: list[Any] = []
        self.in_progress: Any = None  # an interrupted.InProgress while a run has not returned

    def run(self, workload: Any, **options: Any) -> Any:
        from .launcher import checked_config, run_config

        opts = {**self.defaults, **options}
        sources = {k: v for k, v in self._sources.items() if k not in options}
        if "artifacts_dir" not in opts:
            slug = getattr(workload, "slug", "run")
            opts["artifacts_dir"] = self.root / f"run{len(self.runs) + 1:02d}-{slug}"
        config = checked_config(workload, _sources=sources, **opts)  # a ConfigError here: nothing started, no line
        from .interrupted import InProgress

        number = len(self.runs) + 1
        self.in_progress = InProgress(number, str(workload), Path(opts["artifacts_dir"]))
        # on stderr (captured): pytest-timeout's thread method prints it before it ends the process
        sys.stderr.write(f"directmem: run {number} started: {workload}, artifacts in {opts['artifacts_dir']}\n")
        try:
            run = run_config(workload, config)
            self.in_progress = None
        except DirectmemError as e:  # the harness's own errors: no run was interrupted
            self.in_progress = None
            if isinstance(e, (ConfigError, BackendUnavailable)):  # found by the backend: no worker started
                sys.stderr.write(f"directmem: run {number} failed before its JVM started: {e}\n")
            if not isinstance(e, BackendUnavailable):
                raise
            if environment().require_docker:
                pytest.fail(f"{e} ({REQUIRE_DOCKER}=1)", pytrace=False)
            pytest.skip(str(e))
        self.runs.append(run)
        return run


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is None:
        return
    from .backends.engine import docker_unavailable_reason

    reason = docker_unavailable_reason()
    if reason is None:
        return
    if environment().require_docker:
        pytest.fail(f"{reason} ({REQUIRE_DOCKER}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when != "call":
        return
    item.stash[_report_key] = report
    runs = item.stash.get(_runs_key, None)
    session_report = item.config.stash.get(_session_report_key, None)
    links = [""] * len(runs or ())
    if session_report is not None and runs:
        from .report.session import attach_runs, report_link

        links = [f"\nreport:     {report_link(session_report.path, rec['anchor'])}"
                 for rec in attach_runs(report, item.nodeid, runs)]
    fixture = item.stash.get(_fixture_key, None)
    if report.failed and fixture is not None and fixture.in_progress is not None:
        from .interrupted import summary_so_far  # e.g. pytest-timeout fired mid-run (signal method)

        report.sections.append(("directmem run interrupted", summary_so_far(fixture.in_progress)))
    if report.failed and runs:
        from .result import ExpectationFailed

        shown = call.excinfo.value.run if call.excinfo and isinstance(call.excinfo.value, ExpectationFailed) else None
        text = "\n\n".join(f"[run {i}] " + ("(its summary is in the failure above)" if r is shown else r.summary()) + link
                             for i, (r, link) in enumerate(zip(runs, links), 1))
        report.sections.append(("directmem runs", text))

