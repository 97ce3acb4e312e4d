"""The registry: every incident of the library, loaded from the group modules in GROUPS.

A group module (``pytest_directmem/incidents/<group>.py``) defines ``INCIDENTS``, a list of
Incident values. To add a group, add its module name to GROUPS; to add an incident from outside
the package (a user's own), call register().
"""

from __future__ import annotations

import importlib
import threading

from .model import Incident

GROUPS: tuple[str, ...] = (
    "seed",          # seed-no-dump, seed-victim
    "explicit_gc",   # explicit-gc-disabled, explicit-gc-concurrent, gc-storm
    "nio",           # large-heap-write, temp-cache-pinning
    "containers",    # container-default, container-oom-kill, unsafe-outside
    "limits",        # limit-edges
    "netty",         # netty-adaptive, netty-own-limit (Maven-resolved Netty 4.1 vs 4.2)
    "surfacing",     # background-thread, wrapped-oom, map-failed
    "okhttp",        # seed-okhttp (Maven-resolved okhttp 4.12 over TLS)
)

_lock = threading.Lock()
_incidents: dict[str, Incident] = {}
_loaded = False


def _load() -> dict[str, Incident]:
    global _loaded
    with _lock:
        if not _loaded:
            for group in GROUPS:
                module = importlib.import_module(f"{__package__}.{group}")
                for incident in getattr(module, "INCIDENTS"):
                    _add(incident, f"{module.__name__}.INCIDENTS")
            _loaded = True
    return _incidents


def _add(incident: Incident, where: str) -> None:
    if not isinstance(incident, Incident):
        raise TypeError(f"{where}: {incident!r} is not an Incident")
    if incident.id in _incidents:
        raise ValueError(f"{where}: incident id {incident.id!r} is already registered")
    _incidents[incident.id] = incident


def register(incident: Incident) -> Incident:
    """Add an incident defined elsewhere (ids are unique)."""
    _load()
    with _lock:
        _add(incident, "register()")
    return incident


def all_incidents() -> list[Incident]:
    """Every incident, in registration order."""
    return list(_load().values())


def ids() -> list[str]:
    return list(_load())


def get(incident_id: str) -> Incident:
    found = _load().get(incident_id)
    if found is None:
        raise KeyError(f"no incident {incident_id!r}; known: {', '.join(_load())}")
    return found
