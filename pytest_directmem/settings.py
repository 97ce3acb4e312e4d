"""Session settings of the pytest plugin, from the command line, environment and ini file, in one order.

Highest first: command line (``--directmem-NAME``) > environment (``DIRECTMEM_NAME``) > ini
(``directmem_NAME``) > default, for every option of config.OPTIONS marked ``session``. Per-test
markers and run() keywords outrank all of these (the plugin applies them). Every bad value names
where it came from. ``jdk`` takes a comma list: each JDK parametrizes the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .config import OPTIONS, Option
from .errors import ConfigError

SESSION_OPTIONS: tuple[Option, ...] = tuple(o for o in OPTIONS if o.session)


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str


def _pick(o: Option, cli: Mapping[str, Any], env: Mapping[str, str], ini: Mapping[str, Any]) -> Setting | None:
    for value, label in ((cli.get(o.name), o.pytest_flag), (env.get(o.env), o.env), (ini.get(o.name), f"{o.ini} (ini)")):
        if value not in (None, ""):
            return Setting(str(value).strip(), label)
    return None


def resolve_settings(cli: Mapping[str, Any], env: Mapping[str, str], ini: Mapping[str, Any]) -> dict[str, Setting]:
    """{option name: Setting} for every session option; `cli` and `ini` are keyed by option name, `env`
    is the environment. jdk's value is a tuple of JDKs (() when unset: the system JDK)."""
    out: dict[str, Setting] = {}
    for o in SESSION_OPTIONS:
        picked = _pick(o, cli, env, ini)
        if o.name == "jdk":
            out["jdk"] = Setting((), "default: system") if picked is None else _jdks(o, picked)
        elif picked is None:
            out[o.name] = Setting(o.default, "default")
        else:
            out[o.name] = Setting(o.parse(picked.value, picked.source), picked.source)
    return out


def _jdks(o: Option, jdk: Setting) -> Setting:
    items = [j.strip() for j in jdk.value.split(",")]
    if any(not j for j in items) or len(set(items)) != len(items):
        raise ConfigError("jdk", jdk.value, "a comma-separated list of distinct JDKs, e.g. 11,17,21,25", jdk.source)
    for item in items:
        o.parse(item, jdk.source)
    return Setting(tuple(items), jdk.source)
