"""Which columns a comparison adds (report.model.varying) and what its heading claims (comparison_heading)."""

from pytest_directmem.report.model import comparison_heading, varying


def rec(version="17.0.15", home="/jdk17", host="jpype", backend="local", engine=None):
    return {"jvm": {"version": version, "java_home": home}, "host": host, "backend": backend,
            "container": None if backend == "local" else {"engine": engine}}


def test_only_what_differs_is_a_column():
    assert varying([rec(), rec()]) == []
    assert varying([rec(), rec(backend="docker", engine="unix:///a")]) == [("backend", ["local", "docker"])]
    assert varying([rec(backend="docker", engine="unix:///a"), rec(backend="docker", engine="tcp://b:2375")]) == \
        [("engine", ["unix:///a", "tcp://b:2375"])]
    assert varying([rec(), rec("21.0.8", "/jdk21", host="java")]) == \
        [("JDK", ["17.0.15", "21.0.8"]), ("host", ["jpype", "java"])]


def test_the_heading_claims_one_jdk_only_when_every_run_used_it():
    assert comparison_heading("churn(5, 1m)", [rec(), rec()]) == "churn(5, 1m) on JDK 17.0.15 (/jdk17)"
    assert comparison_heading("w", [rec(), rec(home="/other17")]) == "w on JDK 17.0.15"
    assert comparison_heading("w", [rec(), rec(host="java")]) == \
        "w on JDK 17.0.15 (/jdk17); the runs differ in host (see the table)"
    assert comparison_heading("w", [rec(), rec("21.0.8", "/jdk21"), rec(backend="docker")]) == \
        "w; the runs differ in JDK, backend (see the table)"
