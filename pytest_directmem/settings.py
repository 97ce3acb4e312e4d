"""Session settings from the command line, environment and ini file, in one documented order.

Highest first: command line > environment (DIRECTMEM_BACKEND, DIRECTMEM_JDK) > ini
(directmem_backend, directmem_jdk) > default. Per-test markers and run() keywords outrank all
of these (the plugin applies them). Every bad value names where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .config import BACKENDS
from .errors import ConfigError
from .jdk import validate_jdk_spec

ENV = {"backend": "DIRECTMEM_BACKEND", "jdk": "DIRECTMEM_JDK"}
CLI = {"backend": "--directmem-backend", "jdk": "--directmem-jdk"}
INI = {"backend": "directmem_backend (ini)", "jdk": "directmem_jdk (ini)"}


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str


def _pick(name: str, cli: Mapping[str, Any], env: Mapping[str, str], ini: Mapping[str, Any]) -> Setting | None:
    for layer, label in ((cli, CLI[name]), (env, ENV[name]), (ini, INI[name])):
        key = ENV[name] if layer is env else name
        value = layer.get(key)
        if value not in (None, ""):
            return Setting(str(value).strip(), label)
    return None


def resolve_settings(cli: Mapping[str, Any], env: Mapping[str, str], ini: Mapping[str, Any]) -> dict[str, Setting]:
    backend = _pick("backend", cli, env, ini) or Setting("local", "default")
    if backend.value not in BACKENDS:
        raise ConfigError("backend", backend.value, f"choose one of {', '.join(BACKENDS)}", backend.source)
    jdk = _pick("jdk", cli, env, ini)
    if jdk is None:
        return {"backend": backend, "jdk": Setting((), "default: system")}
    items = [j.strip() for j in jdk.value.split(",")]
    if any(not j for j in items) or len(set(items)) != len(items):
        raise ConfigError("jdk", jdk.value, "a comma-separated list of distinct JDKs, e.g. 11,17,21,25", jdk.source)
    for item in items:
        validate_jdk_spec(item, jdk.source)
    return {"backend": backend, "jdk": Setting(tuple(items), jdk.source)}
