"""examples/test_netty_upgrade.py, run as a user would: it must catch the 4.1 -> 4.2.0 regression."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "test_netty_upgrade.py"


def test_example_fails_on_the_upgrade_that_changes_the_outcome(pytester, netty_jars):
    pytester.makepyfile(test_netty_upgrade=EXAMPLE.read_text())
    result = pytester.runpytest_subprocess("-q", "--directmem-jdk=17", "-p", "no:cacheprovider", timeout=600)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*Netty 4.1.140.Final -> 4.2.0.Final on JDK 17*: COMPLETED -> DIRECT_OOM: java.lang.OutOfMemoryError: Cannot reserve*",
        "*directmem runs*",  # the plugin's report: both runs with their summaries
        "FAILED test_netty_upgrade.py::test_netty_upgrade_keeps_the_direct_memory_outcome[[]jdk17-4.2.0.Final[]]*",
    ])
    assert "4.2.20.Final" not in "".join(line for line in result.stdout.lines if line.startswith("FAILED"))
