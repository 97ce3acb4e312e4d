"""The truth about Python loops in call(): a buffer dropped in Python is garbage, as in a Java loop.

JPype releases its global reference when the Python wrapper's reference count drops to zero, so a Python
churn of 200 x 1 MiB at a 16 MiB limit completes through Bits.reserveMemory's System.gc() (and fails with
DisableExplicitGC), like the Java churn; the bare-java oracle is the same churn written in Java.
"""

import pytest

import pytest_directmem as dm
from tests.differential.bare import bare_java
from tests.jvm import python_workloads

SEED = dict(heap="64m", max_direct="16m", jdk="17")


@pytest.mark.parametrize("explicit_gc", ["enabled", "disabled"])
def test_python_churn_frees_dropped_buffers_like_java(explicit_gc, tmp_path):
    run = dm.launch(dm.workloads.call(python_workloads.python_churn, 200, 1 << 20), explicit_gc=explicit_gc,
                    artifacts_dir=tmp_path / "run", **SEED)
    bare = bare_java(tmp_path / "bare", "directmem.Main", "churn", "200", str(1 << 20), "0", explicit_gc=explicit_gc,
                     **SEED)
    if explicit_gc == "enabled":
        assert bare.exit_code == 0
        run.expect("completed")
        assert run.value == 200
        # each System.gc() frees the buffers Python dropped; the Python loop holds one more buffer than
        # the Java one while it allocates the next, so the counts are close, not equal
        assert abs(run.gc.explicit_count - bare.gc.explicit_count) <= 2, (run.gc.by_cause(), bare.gc.by_cause())
    else:
        assert bare.exit_code == 3  # directmem.Main: an OutOfMemoryError
        run.expect("direct-oom")
        assert run.gc.explicit_count == bare.gc.explicit_count == 0
