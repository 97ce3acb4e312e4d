"""The Netty scenarios in containers: resolved jars and the scenario jar are bind-mounted read-only."""

from __future__ import annotations

import pytest

import pytest_directmem as dm

pytestmark = pytest.mark.docker


def test_adaptive_regression_in_a_container(directmem, netty_jars):
    before = _docker(directmem, "4.1-pooled-stream")
    after = _docker(directmem, "4.2.0-adaptive-stream")
    assert before.container is not None and after.container is not None and not after.container.oom_killed
    assert after.oom.thread.startswith("directmem-netty-server-")
    assert dm.netty.info(after)["version"] == "4.2.0.Final"


def test_netty_own_limit_in_a_container_with_a_memory_limit(directmem, netty_jars):
    run = _docker(directmem, "4.1-limit-opens", memory="512m")
    assert run.oom.class_name == "io.netty.util.internal.OutOfDirectMemoryError"
    assert (run.oom.allocated, run.oom.limit) == (32 << 20, 32 << 20)
    assert run.container.memory_limit == 512 << 20 and not run.container.oom_killed


def _docker(directmem, name: str, **options):
    from .test_netty import _variant, expected

    result = _variant(name).run(directmem, jdk="17", backend="docker", expect=expected(name, 17), **options)
    assert result.run.backend == "docker"
    return result.check().run
