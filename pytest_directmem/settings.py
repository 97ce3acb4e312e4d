"""Session settings of the pytest plugin, from the command line, environment and ini file, in one order.

Highest first: command line (``--directmem-NAME``) > environment (``DIRECTMEM_NAME``) > ini
(``directmem_NAME``) > default, for every option of config.OPTIONS marked ``session``. Per-test
markers and run() keywords outrank all of these (the plugin applies them). Every bad value names
where it came from. ``jdk`` takes a comma list: each JDK parametrizes the tests; so does ``host``
(``jpype,java``: each host parametrizes them; one host is a plain default).
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
    is the environment. jdk's value is a tuple of JDKs (() when unset: the system JDK); host's is one host
    (a str), or a tuple of two or more distinct hosts when a comma list was given."""
    out: dict[str, Setting] = {}
    for o in SESSION_OPTIONS:
        picked = _pick(o, cli, env, ini)
        if o.name == "jdk":
            out["jdk"] = Setting((), "default: system") if picked is None else _items(o, picked, "11,17,21,25")
        elif o.name == "host" and picked is not None and "," in picked.value:
            out["host"] = _items(o, picked, "jpype,java")
        elif picked is None:
            out[o.name] = Setting(o.default, "default")
        else:
            out[o.name] = Setting(o.parse(picked.value, picked.source), picked.source)
    return out


def _items(o: Option, given: Setting, example: str) -> Setting:
    items = [j.strip() for j in given.value.split(",")]
    if any(not j for j in items) or len(set(items)) != len(items):
        raise ConfigError(o.name, given.value, f"a comma-separated list of distinct {o.name}s, e.g. {example}",
                          given.source)
    for item in items:
        o.parse(item, given.source)  # validates; the items are kept as given (a JDK spec, a host name)
    return Setting(tuple(items), given.source)
