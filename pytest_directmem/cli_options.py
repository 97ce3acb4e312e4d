"""Command-line options of `directmem run` and `directmem compare`: workloads, launch options, variants,
expectations. Parsing only: every value is checked again by dm.launch (ConfigError)."""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any, Callable

import click

from . import workloads as w
from .result import Outcome

# built-in workload -> its parameters (CLI name, required); the CLI names are dm.workloads' argument names
BUILTINS: dict[str, tuple[tuple[str, bool], ...]] = {
    "churn": (("count", True), ("size", True), ("keep_every", False)),
    "hold": (("size", True), ("count", False)),
    "heap_hog": (("chunk", False),),
    "unsafe_alloc": (("size", True), ("count", True)),
    "socket_write": (("threads", True), ("payload", True), ("writes", True), ("hold", False)),
    "storm": (("threads", True), ("size", True), ("duration", True)),
}
OTHER = ("main", "static", "call")  # these take positional ARGS
ALIASES = {"heap_hog": {"size": "chunk"}, "socket_write": {"size": "payload", "count": "writes"}}
WORKLOAD_PARAMS = ("count", "size", "keep_every", "chunk", "threads", "payload", "writes", "hold", "duration")
EXPECT_HELP = ("expected outcome: " + ", ".join(o.value for o in Outcome)
               + "; a comma list means any of them. Exit 0 when it matches, 1 when not")
OUTCOMES = {o.value: o for o in Outcome} | {o.name.lower(): o for o in Outcome}


def workload_names() -> list[str]:
    return [n.replace("_", "-") for n in BUILTINS] + list(OTHER)


def workload_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--count", type=int, help="churn/hold/unsafe_alloc: number of buffers (socket_write: --writes)"),
        click.option("--size", help='buffer size, bytes or "512k", "1m" (heap_hog: --chunk, socket_write: --payload)'),
        click.option("--keep-every", type=int, help="churn: keep every Nth buffer (default 0: keep none)"),
        click.option("--chunk", help='heap_hog: byte[] chunk size (default "1m")'),
        click.option("--threads", type=int, help="socket_write/storm: threads (default 1)"),
        click.option("--payload", help="socket_write: heap byte[] written per write"),
        click.option("--writes", type=int, help="socket_write: writes per thread"),
        click.option("--hold", "hold_", help="socket_write: direct bytes allocated and kept first (the culprit)"),
        click.option("--duration", help='storm: "500ms", "2s" (default 2s)'),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def launch_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--jdk", help='"system" (default), a major (11, 17, 21, 25: provisioned when missing) or a JAVA_HOME'),
        click.option("--backend", type=click.Choice(["local", "docker"]), help="local child process (default) or a container"),
        click.option("--heap", help='-Xmx, e.g. "64m"'),
        click.option("--max-direct", help='-XX:MaxDirectMemorySize, e.g. "16m"'),
        click.option("--explicit-gc", type=click.Choice(["enabled", "disabled", "concurrent"]),
                     help="System.gc(): enabled (default), disabled (-XX:+DisableExplicitGC), "
                          "concurrent (-XX:+ExplicitGCInvokesConcurrent)"),
        click.option("--disable-explicit-gc", "explicit_gc_switch", flag_value="disabled", help="= --explicit-gc disabled"),
        click.option("--concurrent-explicit-gc", "explicit_gc_switch", flag_value="concurrent",
                     help="= --explicit-gc concurrent"),
        click.option("--gc", help="G1, Parallel, Serial, Z, Shenandoah or Epsilon"),
        click.option("--heap-dump/--no-heap-dump", default=None, help="-XX:+HeapDumpOnOutOfMemoryError (default on)"),
        click.option("--flag", "flags", multiple=True, help="an extra JVM flag, e.g. --flag=-Xss512k (repeatable)"),
        click.option("-D", "--property", "properties", multiple=True, metavar="KEY=VALUE",
                     help="a system property (repeatable)"),
        click.option("--classpath", "--cp", "classpath", multiple=True, help="a jar or class directory (repeatable)"),
        click.option("--memory", help='container memory limit, e.g. "256m" (docker backend)'),
        click.option("--cpus", type=float, help="container CPUs (docker backend)"),
        click.option("--timeout", type=float, help="seconds before the run is killed (default 60)"),
        click.option("--artifacts-dir", type=click.Path(file_okay=False), help="a new or empty directory for the artifacts"),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def build_workload(name: str, args: tuple[str, ...], params: dict[str, Any]) -> w.Workload:
    """The Workload named on the command line; click.UsageError when an option does not fit it."""
    key = name.replace("-", "_")
    given = {p: params[p] for p in WORKLOAD_PARAMS if p != "hold" and params.get(p) is not None}
    if params.get("hold_") is not None:
        given["hold"] = params["hold_"]
    if key in OTHER:
        if given:
            raise click.UsageError(f"{name} takes positional arguments, not {_opts(given)}")
        return _other(key, args)
    if args:
        raise click.UsageError(f"{name} takes no positional arguments (got {' '.join(args)}); use its options")
    if key not in BUILTINS:
        raise click.UsageError(f"unknown workload {name!r}; choose one of {', '.join(workload_names())}")
    for alias, target in ALIASES.get(key, {}).items():
        if alias in given:
            if target in given:
                raise click.UsageError(f"{name}: give --{target} or --{alias}, not both")
            given[target] = given.pop(alias)
    takes = dict(BUILTINS[key])
    extra = [p for p in given if p not in takes]
    if extra:
        raise click.UsageError(f"{name} does not take {_opts(extra)}; it takes {_opts(takes)}")
    defaults = {"threads": 1, "duration": "2s"}
    missing = [p for p, req in takes.items() if req and p not in given and p not in defaults]
    if missing:
        raise click.UsageError(f"{name} needs {_opts(missing)} (e.g. directmem run churn --count 200 --size 1m)")
    kw = {p: given.get(p, defaults.get(p)) for p in takes if p in given or p in defaults}
    if key == "socket_write":
        return w.socket_write(kw["threads"], kw["payload"], kw["writes"], hold=kw.get("hold") or 0)
    return getattr(w, key)(**kw)


def _opts(names: Any) -> str:
    return ", ".join("--" + n.replace("_", "-") for n in names)


def _static_arg(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def _other(key: str, args: tuple[str, ...]) -> w.Workload:
    if not args:
        example = {"main": "com.example.Main ARG...", "static": "com.example.Leak#run ARG...",
                   "call": "mymodule:function ARG..."}[key]
        raise click.UsageError(f"{key} needs a target: directmem run {key} {example}")
    target, rest = args[0], args[1:]
    if key == "main":
        return w.main(target, *rest)
    if key == "static":
        return w.static(target, *map(_static_arg, rest))
    module, _, qualname = target.partition(":")
    if not module or not qualname:
        raise click.UsageError(f"call needs module:function, got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: modules of the current directory import
    try:
        fn: Any = importlib.import_module(module)
        for part in qualname.split("."):
            fn = getattr(fn, part)
    except (ImportError, AttributeError) as e:
        raise click.UsageError(f"call: cannot import {target}: {e}") from None
    values = []
    for a in rest:
        try:
            values.append(json.loads(a))
        except ValueError:
            values.append(a)
    return w.call(fn, *values)


def launch_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """dm.launch keywords from the launch options given (unset ones are left to launch's defaults)."""
    explicit, switch = params.get("explicit_gc"), params.get("explicit_gc_switch")
    if explicit and switch and explicit != switch:
        flag = "--disable-explicit-gc" if switch == "disabled" else "--concurrent-explicit-gc"
        raise click.UsageError(f"--explicit-gc {explicit} contradicts {flag}")
    out: dict[str, Any] = {}
    for key in ("jdk", "backend", "heap", "max_direct", "gc", "memory", "cpus", "timeout", "artifacts_dir"):
        if params.get(key) is not None:
            out[key] = params[key]
    if explicit or switch:
        out["explicit_gc"] = explicit or switch
    if params.get("heap_dump") is not None:
        out["heap_dump_on_oom"] = params["heap_dump"]
    if params.get("flags"):
        out["flags"] = list(params["flags"])
    if params.get("properties"):
        props = {}
        for item in params["properties"]:
            k, sep, v = item.partition("=")
            if not sep or not k:
                raise click.UsageError(f"--property takes KEY=VALUE, got {item!r}")
            props[k] = v
        out["properties"] = props
    if params.get("classpath"):
        out["classpath"] = list(params["classpath"])
    return out


def parse_expect(text: str | None) -> tuple[Outcome, ...]:
    if not text:
        return ()
    out = []
    for part in text.split(","):
        key = part.strip().lower().replace("_", "-")
        if key not in OUTCOMES and key.replace("-", "_") not in OUTCOMES:
            raise click.BadParameter(f"{part!r} is not an outcome; choose from {', '.join(o.value for o in Outcome)}",
                                     param_hint="--expect")
        out.append(OUTCOMES.get(key) or OUTCOMES[key.replace("-", "_")])
    return tuple(out)


NOT_VARIANT = ("variant", "variants", "report", "json_out", "quiet", "expect", "explicit_gc_switch", "artifacts_dir")
BOOLEAN = {"on": True, "true": True, "yes": True, "1": True, "off": False, "false": False, "no": False, "0": False}


def parse_variant(text: str, command: click.Command, base: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, params) of one --variant "key=value;key=value": `base` with the variant's keys on top.

    Keys are the long options of `compare` without dashes (explicit-gc, gc, max-direct, heap, jdk, backend,
    memory, cpus, timeout, heap-dump=on|off, flag, property=KEY=VALUE, classpath: the last three add to the
    base), the workload's options (count, size, ...), name=LABEL and expect=OUTCOME[,OUTCOME].
    """
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in base.items()}
    by_name: dict[str, click.Option] = {}
    for p in command.params:
        if isinstance(p, click.Option) and p.name and not p.is_flag or p.name == "heap_dump":
            by_name.setdefault(p.name, p)
    name = None
    parts = [s.strip() for s in text.split(";") if s.strip()]
    if not parts:
        raise click.BadParameter(f"empty variant {text!r}: give at least one KEY=VALUE", param_hint="--variant")
    seen: set[str] = set()
    for part in parts:
        key, sep, value = part.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep:
            raise click.BadParameter(f"{part!r} in {text!r} is not key=value", param_hint="--variant")
        canonical = {"hold": "hold_", "property": "properties", "flag": "flags", "cp": "classpath", "d": "properties",
                     "disable_explicit_gc": "explicit_gc", "heap_dump_on_oom": "heap_dump"}.get(key, key)
        if canonical in seen and canonical not in ("flags", "properties", "classpath"):
            raise click.BadParameter(f"key {key.replace('_', '-')!r} given twice in {text!r}", param_hint="--variant")
        seen.add(canonical)
        if key == "name":
            if not value.strip():
                raise click.BadParameter(f"empty name= in {text!r}", param_hint="--variant")
            name = value
            continue
        key = {"hold": "hold_", "property": "properties", "flag": "flags", "cp": "classpath", "d": "properties",
               "disable_explicit_gc": "explicit_gc", "heap_dump_on_oom": "heap_dump"}.get(key, key)
        if key == "expect":
            params["expect"] = value
            continue
        if key in NOT_VARIANT or key not in by_name:
            known = sorted(k.replace("_", "-").rstrip("-") for k in by_name if k not in NOT_VARIANT)
            raise click.BadParameter(f"unknown key {key.replace('_', '-')!r} in {text!r}; known: name, expect, "
                                     + ", ".join(known), param_hint="--variant")
        opt = by_name[key]
        if key == "heap_dump":
            if value.strip().lower() not in BOOLEAN:
                raise click.BadParameter(f"heap-dump={value!r}: use on or off", param_hint="--variant")
            params[key] = BOOLEAN[value.strip().lower()]
        elif opt.multiple:
            params[key] = list(params.get(key) or []) + [value]
        else:
            try:
                params[key] = opt.type.convert(value, opt, None)
            except click.BadParameter as e:
                raise click.BadParameter(f"{key.replace('_', '-')}={value!r}: {e.message}", param_hint="--variant") from None
        if key == "explicit_gc":
            params["explicit_gc_switch"] = None
    return name or text, params
