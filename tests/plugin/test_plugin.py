"""The plugin driven from outside through pytester, as users meet it."""

import pytest

pytest_plugins = ["pytester"]


def test_markers_and_options_are_registered(pytester):
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["*@pytest.mark.directmem(**options)*", "*@pytest.mark.docker*", "*@pytest.mark.slow*"])
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--directmem-backend*", "*--directmem-jdk*", "*--directmem-keep*",
                                 "*directmem_backend*", "*directmem_jdk*"])


def test_report_header_names_settings_and_sources(pytester, monkeypatch):
    pytester.makepyfile("def test_x(): pass")
    monkeypatch.setenv("DIRECTMEM_JDK", "21")
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["directmem: backend=local (default), host=jpype (default), jdk=21 (DIRECTMEM_JDK)"])
    result = pytester.runpytest_subprocess("--directmem-jdk=11,17")
    result.stdout.fnmatch_lines(["directmem: backend=local (default), host=jpype (default), jdk=11,17 (--directmem-jdk)"])


def test_bad_cli_value_is_a_usage_error(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_subprocess("--directmem-backend=k8s")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid backend='k8s' (from --directmem-backend)*"])


def test_a_bad_docker_host_names_the_pytest_option_ini_or_marker(pytester):
    """Not the Python name alone, not the `directmem` CLI's --docker-host: what this pytest run was given."""
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_subprocess("--directmem-docker-hosts=foo")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid docker_hosts='foo' (from --directmem-docker-hosts): an engine URL is*"])
    pytester.makeini("[pytest]\ndirectmem_docker_hosts = tcp://a\n")
    result = pytester.runpytest_subprocess()
    result.stderr.fnmatch_lines(["*invalid docker_hosts='tcp://a' (from directmem_docker_hosts (ini)): tcp:// needs a port*"])
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        "import pytest, pytest_directmem as dm\n"
        "@pytest.mark.directmem(docker_hosts=['foo'], backend='docker')\n"
        "def test_x(directmem):\n"
        "    directmem.run(dm.workloads.churn(2, '1k'))\n")
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["*invalid docker_hosts='foo' (from @pytest.mark.directmem): an engine URL is*"])


def test_ini_value_and_cli_override(pytester):
    pytester.makeini("[pytest]\ndirectmem_jdk = 17\n")
    pytester.makepyfile("def test_x(directmem): assert directmem.defaults['jdk'] == '17'")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("--directmem-jdk=21", "-v")
    result.stdout.fnmatch_lines(["*test_x?jdk21? FAILED*"])


def test_jdk_list_parametrizes_fixture_users_only(pytester):
    pytester.makepyfile("""
        import pytest

        def test_uses(directmem):
            assert directmem.defaults["jdk"] in ("11", "17", "21", "25")

        def test_plain():
            pass

        @pytest.mark.directmem(jdk="17")
        def test_pinned(directmem):
            assert directmem.defaults["jdk"] == "17"
    """)
    result = pytester.runpytest_subprocess("--directmem-jdk=11,17,21,25", "-v")
    result.stdout.fnmatch_lines(["*test_uses?jdk11? PASSED*", "*test_uses?jdk17? PASSED*",
                                 "*test_uses?jdk21? PASSED*", "*test_uses?jdk25? PASSED*",
                                 "*test_plain PASSED*", "*test_pinned PASSED*"])
    result.assert_outcomes(passed=6)


def test_precedence_keyword_over_marker_over_cli(pytester):
    pytester.makepyfile("""
        import pytest
        import pytest_directmem as dm

        @pytest.mark.directmem(gc="Parallel", backend="local")
        def test_marker(directmem):
            assert directmem.defaults["gc"] == "Parallel"
            assert directmem.defaults["backend"] == "local"   # marker beats the CLI
            with pytest.raises(dm.ConfigError, match=r"^invalid gc='CMS': unknown collector"):
                directmem.run(dm.workloads.churn(1, "1k"), gc="CMS")       # keyword: no source suffix

        @pytest.mark.directmem(gc="CMS")
        def test_marker_source_named(directmem):
            with pytest.raises(dm.ConfigError, match=r"from @pytest.mark.directmem"):
                directmem.run(dm.workloads.churn(1, "1k"))
    """)
    result = pytester.runpytest_subprocess("--directmem-backend=docker")
    result.assert_outcomes(passed=2)


def test_failure_report_shows_the_run_and_keeps_its_artifacts(pytester):
    pytester.makepyfile("""
        import pytest_directmem as dm

        def test_expects_completion(directmem):
            run = directmem.run(dm.workloads.churn(40, "1m"), heap="64m", max_direct="16m", explicit_gc="disabled")
            assert run.outcome is dm.Outcome.COMPLETED

        def test_passes(directmem):
            directmem.run(dm.workloads.churn(4, "1m"), max_direct="16m").expect("completed")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines([
        "*- directmem runs -*",
        "[[]run 1[]] outcome:    DIRECT_OOM  (exit code 3, *s)",
        "workload:   churn(40, 1m)",
        "oom:        [[]direct[]] java.lang.OutOfMemoryError: *",
        "*at java.nio.Bits.reserveMemory*",
        "limits:     backend=local, host=jpype, jdk=system, heap=64m, max_direct=16m, explicit_gc=disabled*",
        "gc:         0 events (explicit 0, full 0, *",
        "heap dumps: 0",
        "command:    cd * -m pytest_directmem.worker */spec.json",
        "artifacts:  */run01-churn",
    ])
    basetemp = pytester.path / "runpytest-0"  # runpytest_subprocess's --basetemp
    failed_dir = [ln.split("artifacts:  ", 1)[1] for ln in result.stdout.lines if ln.startswith("artifacts:  ")][0]
    assert failed_dir == str(basetemp / "test_expects_completion0" / "directmem" / "run01-churn")
    assert (basetemp / "test_expects_completion0" / "directmem" / "run01-churn" / "journal.jsonl").exists()
    assert (basetemp / "test_passes0").is_dir()
    assert not (basetemp / "test_passes0" / "directmem").exists()  # passing runs are removed: dumps are big


def test_keep_writes_every_run_under_the_rootdir(pytester):
    pytester.makepyfile("""
        import pytest_directmem as dm

        def test_passes(directmem):
            directmem.run(dm.workloads.churn(4, "1m"), max_direct="16m").expect("completed")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--directmem-keep")
    result.assert_outcomes(passed=1)
    kept = list((pytester.path / "directmem-artifacts").glob("*test_passes/run01-churn/journal.jsonl"))
    assert len(kept) == 1


def test_a_failed_expect_prints_the_run_summary_once(pytester):
    pytester.makepyfile("""
        import pytest_directmem as dm

        def test_expect_fails(directmem):
            directmem.run(dm.workloads.churn(4, "1m"), max_direct="16m").expect("direct-oom")
    """)
    # -rN: no short test summary (with CI set, pytest prints whole messages there: a second copy of pytest's own)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rN")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "expected outcome DIRECT_OOM, got COMPLETED" in text
    assert text.count("workload:   churn(4, 1m)") == 1, text
    assert "[run 1] (its summary is in the failure above)" in text


def test_expect_with_an_unknown_outcome_lists_the_valid_ones():
    import pytest
    import pytest_directmem as dm
    from pytest_directmem.result import ExpectationFailed, Outcome

    assert Outcome.parse("direct_oom") is Outcome.DIRECT_OOM and Outcome.parse("DIRECT_OOM") is Outcome.DIRECT_OOM
    with pytest.raises(dm.ConfigError) as info:
        Outcome.parse("direct_oom_typo", "expect")
    assert "invalid expect='direct_oom_typo'" in str(info.value) and "direct-oom, heap-oom" in str(info.value)
    assert isinstance(info.value, ValueError) and issubclass(ExpectationFailed, AssertionError)


def test_a_host_list_parametrizes_every_directmem_test(pytester):
    pytester.makepyfile("""
        import pytest
        import pytest_directmem as dm

        def test_each_host(directmem, directmem_host):
            run = directmem.run(dm.workloads.hold("1k", 1))
            run.expect("completed")
            assert run.host == directmem_host

        @pytest.mark.directmem(host="jpype")
        def test_marker_pins_the_host(directmem, directmem_host):
            assert directmem_host is None and directmem.defaults["host"] == "jpype"
    """)
    result = pytester.runpytest_subprocess("--directmem-host=jpype,java", "-p", "no:xdist", "-v")
    result.stdout.fnmatch_lines(["*host=jpype,java (--directmem-host)*", "*test_each_host?jpype? PASSED*",
                                 "*test_each_host?java? PASSED*"])
    result.assert_outcomes(passed=3)


def test_directmem_host_option_reaches_runs_and_call_is_a_config_error(pytester):
    pytester.makepyfile("""
        import pytest
        import pytest_directmem as dm

        def test_java_host(directmem):
            run = directmem.run(dm.workloads.hold("1m", 2), max_direct="16m")
            run.expect("completed")
            assert run.host == "java"
            assert "directmem.Main" in run.command and "pytest_directmem.worker" not in run.command

        def fn(jvm):
            return 1

        def test_call_needs_jpype(directmem):
            with pytest.raises(dm.ConfigError, match="host='java'") as info:
                directmem.run(dm.workloads.call(fn))
            assert info.value.option == "host" and "--directmem-host" in str(info.value)
    """)
    result = pytester.runpytest_subprocess("--directmem-host=java", "-p", "no:xdist")
    result.stdout.fnmatch_lines(["*host=java (--directmem-host)*"])
    result.assert_outcomes(passed=2)
