"""Python targets named "module:qualname" (call() workloads): one resolver for the API, the CLI and the worker.

Imported by the worker at start-up: nothing beyond importlib, and only when called."""

from __future__ import annotations


def resolve(target: str) -> object:
    """The object `target` ("pkg.mod:func" or "pkg.mod:Class.method") names, importing its module.

    Raises ValueError when `target` has no "module:qualname" shape, ImportError when the module does not
    import, AttributeError when the module has no such name."""
    import importlib

    module, _, qualname = target.partition(":")
    if not module or not qualname:
        raise ValueError(f"not module:qualname: {target!r}")
    obj: object = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj
