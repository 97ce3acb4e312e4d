"""The pinned expectations: facts measured by the harness per incident, variant and JDK major.

``expected.json`` is written only by ``python -m pytest_directmem.incidents.pin`` (which re-measures
and keeps a fact only when every repeat agreed); never edit it by hand.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("expected.json")
PIN_COMMAND = "python -m pytest_directmem.incidents.pin"
ENV_PATH = "DIRECTMEM_INCIDENTS_EXPECTED"  # another pins file (e.g. one a user measured on their own JDK build)


class _Missing:
    def __repr__(self) -> str:
        return "(not pinned)"


MISSING: Any = _Missing()


def path() -> Path:
    from ..environment import environment

    return environment().incidents_expected or PATH


@functools.lru_cache(maxsize=4)
def _load(p: str) -> dict[str, Any]:
    try:
        return json.loads(Path(p).read_text())
    except FileNotFoundError:
        return {"incidents": {}}


def load() -> dict[str, Any]:
    """The whole pins document (``incidents``: id -> variant -> major -> {fact: value}, plus metadata)."""
    return _load(str(path()))


def pinned(incident: str, variant: str, major: int | str | None) -> dict[str, Any] | None:
    if major is None:
        return None
    return load().get("incidents", {}).get(incident, {}).get(variant, {}).get(str(major))


def pinned_majors(incident: str, variant: str) -> list[str]:
    return sorted(load().get("incidents", {}).get(incident, {}).get(variant, {}), key=int)


def save(document: dict[str, Any], target: Path | None = None) -> Path:
    """Write the document (stable key order, one fact per line) and drop the cache."""
    target = target or path()
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    tmp.replace(target)
    _load.cache_clear()
    return target
