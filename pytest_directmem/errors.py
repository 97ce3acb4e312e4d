"""One error family for the whole harness."""

from __future__ import annotations


class DirectmemError(Exception):
    """Base class of every error pytest-directmem raises on purpose."""


class ConfigError(DirectmemError, ValueError):
    """A bad option or workload argument, raised before any process starts.

    The message always names the option and the offending value, and where the
    value came from when it did not come from a keyword argument.
    """

    def __init__(self, option: str, value: object, reason: str, source: str | None = None):
        self.option = option
        self.value = value
        self.reason = reason
        self.source = source
        where = f" (from {source})" if source else ""
        super().__init__(f"invalid {option}={value!r}{where}: {reason}")


class BackendUnavailable(DirectmemError):
    """The backend cannot run here (e.g. no Docker engine answers)."""


class JdkUnavailable(ConfigError):
    """A requested JDK is neither installed nor obtainable."""
