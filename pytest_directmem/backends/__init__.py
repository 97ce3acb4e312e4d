"""Backends start the worker somewhere (a local child process, a container), write the artifacts
directory (spec.json, status.json) and report how it ended. Shared parts: backends.common."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..config import JvmConfig
from ..workloads import Workload
from .common import ProcessResult

class Backend(Protocol):
    name: str

    def launch(self, workload: Workload, config: JvmConfig, artifacts: Path) -> ProcessResult: ...


def get_backend(name: str) -> Backend:
    if name == "local":
        from .local import LocalBackend

        return LocalBackend()
    if name == "docker":
        from .docker import DockerBackend  # type: ignore[import-not-found]

        return DockerBackend()
    raise ValueError(name)


