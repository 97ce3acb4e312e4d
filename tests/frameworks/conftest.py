"""Shared fixtures for the framework tests: Netty resolved once per session from Maven Central.

Without Maven and without a cache these tests skip, unless CI=true or DIRECTMEM_REQUIRE_MAVEN=1
(then they fail: CI must prove the resolution works).
"""

from __future__ import annotations

import os
import shutil

import pytest

import pytest_directmem as dm
from pytest_directmem.incidents import netty as incidents


def _maven_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("DIRECTMEM_REQUIRE_MAVEN") == "1"


@pytest.fixture(scope="session")
def netty_jars() -> dict[str, list]:
    """{version: [jar paths]} for every Netty release the incidents use, plus the scenario jar built."""
    out = {}
    try:
        for version in incidents.VERSIONS:
            out[version] = dm.netty.classpath(version).resolve_classpath()
        dm.netty.scenario_jar()
    except dm.ConfigError as e:
        if shutil.which("mvn") is None and not _maven_required():
            pytest.skip(f"Netty is not resolvable here (no mvn on PATH): {e}")
        raise
    return out
