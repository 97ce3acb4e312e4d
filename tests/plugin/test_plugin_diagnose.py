"""diagnose as a session setting of the plugin: --directmem-diagnose (a flag), ini, env and the marker."""

pytest_plugins = ["pytester"]


def test_flag_ini_env_and_marker(pytester, monkeypatch):
    monkeypatch.delenv("DIRECTMEM_DIAGNOSE", raising=False)
    pytester.makepyfile("""
        import pytest

        def test_session(directmem, request):
            want = request.config.getoption("--directmem-diagnose") is not None or request.config.getini(
                "directmem_diagnose") not in (None, "", "false")
            assert directmem.defaults.get("diagnose", False) is want

        @pytest.mark.directmem(diagnose=True)
        def test_marker(directmem):
            assert directmem.defaults["diagnose"] is True
    """)
    pytester.runpytest_subprocess().assert_outcomes(passed=2)
    pytester.runpytest_subprocess("--directmem-diagnose").assert_outcomes(passed=2)
    assert "investigate: a heap dump at the first direct OOM" in pytester.runpytest_subprocess("--help").stdout.str()
    pytester.makeini("[pytest]\ndirectmem_diagnose = true\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=2)


def test_env_and_a_bad_value(pytester, monkeypatch):
    pytester.makepyfile("def test_x(directmem): assert directmem.defaults['diagnose'] is True")
    monkeypatch.setenv("DIRECTMEM_DIAGNOSE", "1")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    monkeypatch.setenv("DIRECTMEM_DIAGNOSE", "maybe")
    result = pytester.runpytest_subprocess()
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*invalid diagnose='maybe'*DIRECTMEM_DIAGNOSE*must be True or False*"])


def test_a_run_with_the_flag_is_diagnosed(pytester):
    pytester.makepyfile("""
        import pytest_directmem as dm

        def test_run(directmem):
            run = directmem.run(dm.workloads.churn(30, "1m"), max_direct="16m", explicit_gc="disabled")
            run.expect("direct-oom")
            assert run.diagnosis is not None and run.diagnosis.dump is not None
            assert run.diagnosis.garbage_bytes > 0 and run.heap_dumps == []
    """)
    pytester.runpytest_subprocess("--directmem-diagnose").assert_outcomes(passed=1)
