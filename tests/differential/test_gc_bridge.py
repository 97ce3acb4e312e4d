"""The JPype host injects no System.gc(): explicit-GC counts equal bare java's (same JDK, same flags).

JPype's GC bridge (jp_gc.cpp) used to call System.gc() after Python collections when the process's malloc
usage grew; direct buffers are malloc'ed. Churn2 (a ring of 64 live 1 MiB buffers plus heap garbage)
showed 23-43 explicit full GCs under the harness where bare java shows none.
"""

import pytest

import pytest_directmem as dm
from tests.differential.bare import bare_java, compile_cases
from tests.jvm.java_classes import HAS_JAVAC

JDKS = ["11", "17", "21", "25"]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not HAS_JAVAC, reason="needs javac")]


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return compile_cases(tmp_path_factory.mktemp("cases"))


@pytest.mark.parametrize("jdk", JDKS)
def test_ring_program_has_bare_javas_system_gc_count(jdk, cases, tmp_path):
    options = dict(jdk=jdk, heap="256m", max_direct="8g", classpath=[cases], timeout=300)
    run = dm.launch(dm.workloads.main("Churn2", "3000"), artifacts_dir=tmp_path / "run", **options)
    bare = bare_java(tmp_path / "bare", "Churn2", "3000", **options)
    run.expect("completed")
    assert bare.exit_code == 0 and "done 3000" in bare.stdout, bare.stderr
    assert run.gc.explicit_count == bare.gc.explicit_count, (run.gc.by_cause(), bare.gc.by_cause())
    assert run.gc.events, "the harness's GC log is empty: nothing was compared"


def test_zgc_churn_has_bare_javas_system_gc_count(tmp_path):
    options = dict(jdk="25", gc="Z", max_direct="16m", timeout=300)
    run = dm.launch(dm.workloads.churn(200, "1m"), artifacts_dir=tmp_path / "run", **options)
    bare = bare_java(tmp_path / "bare", "directmem.Main", "churn", "200", str(1 << 20), "0", **options)
    run.expect("completed")
    assert bare.exit_code == 0, bare.stderr
    assert bare.gc.explicit_count > 0  # Bits.reserveMemory's rescue GCs: there is something to compare
    assert run.gc.explicit_count == bare.gc.explicit_count, (run.gc.by_cause(), bare.gc.by_cause())
