"""Command-line options of `directmem run` and `directmem compare`: workloads, launch options, variants,
expectations. Parsing only: every value is checked again by dm.launch (ConfigError)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from .. import workloads as w
from ..errors import ConfigError
from ..targets import resolve
from ..result import Outcome

OTHER = ("main", "static", "call")  # these take positional ARGS
EXPECT_HELP = ("expected outcome: " + ", ".join(o.value for o in Outcome)
               + "; a comma list means any of them. Exit 0 when it matches, 1 when not")
OUTCOMES = {o.value: o for o in Outcome} | {o.name.lower(): o for o in Outcome}


def workload_names() -> list[str]:
    return [b.cli for b in w.BUILTINS.values()] + list(OTHER)


def _workload_params() -> dict[str, list[tuple[str, w.Param]]]:
    """CLI option name -> the built-ins (and their params) that take it, directly or as an alias."""
    out: dict[str, list[tuple[str, w.Param]]] = {}
    for b in w.BUILTINS.values():
        params = {p.name: p for p in b.params}
        for p in b.params:
            out.setdefault(p.name, []).append((b.cli, p))
        for alias, target in b.cli_aliases:
            out.setdefault(alias, []).append((b.cli, params[target]))
    return out


def workload_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """One click option per built-in parameter name (dm.workloads' argument names), from workloads.BUILTINS."""
    opts = []
    for name, users in _workload_params().items():
        text = "; ".join(f"{b}: {p.help}" + (f" (--{p.name.replace('_', '-')})" if p.name != name else "")
                         for b, p in users)
        kind = int if all(p.kind == "count" for _, p in users) else None
        dest = "hold_" if name == "hold" else name  # not to clash with the `hold` workload's name
        opts.append(click.option("--" + name.replace("_", "-"), dest, type=kind, help=text))
    for opt in reversed(opts):
        f = opt(f)
    return f


def launch_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The launch options of config.OPTIONS as click options (and their extra switches)."""
    from ..config import OPTIONS

    opts = []
    for o in OPTIONS:
        kw: dict[str, Any] = {"help": o.help}
        if o.cli_type == "choice":
            kw["type"] = click.Choice(list(o.choices))
        elif o.cli_type == "float":
            kw["type"] = float
        elif o.cli_type == "path":
            kw["type"] = click.Path(file_okay=False)
        elif o.cli_type == "switch":
            kw["default"] = None
        elif o.cli_type == "multi":
            kw["multiple"] = True
            kw["metavar"] = "KEY=VALUE" if o.name == "properties" else None
        opts.append(click.option(*o.cli, o.name, **kw))
        for flag, value in o.switches:
            opts.append(click.option(flag, f"{o.name}_switch", flag_value=value, help=f"= {o.cli[0]} {value}"))
    for opt in reversed(opts):
        f = opt(f)
    return f


def build_workload(name: str, args: tuple[str, ...], params: dict[str, Any], base: dict[str, Any] | None = None,
                   variant: str | None = None) -> w.Workload:
    """The Workload named on the command line; click.UsageError when an option does not fit it, ConfigError
    (from dm.workloads) for a bad value, naming the flag the user typed (``--size``) as its source; in `compare`,
    ``--variant '...'`` when the value is the `variant`'s (it differs from `base`, the options outside --variant)."""
    key = name.replace("-", "_")
    given = {p: params[p] for p in _workload_params() if p != "hold" and params.get(p) is not None}
    if params.get("hold_") is not None:
        given["hold"] = params["hold_"]
    typed = {p: _workload_source(p, params, base, variant) for p in given}  # param or alias -> where its value came from
    try:
        return _build(name, key, args, given, typed, variant)
    except click.UsageError as e:  # e.g. "hold does not take --hold": say which --variant when it set workload options
        if variant is not None and variant not in e.message and any(t.startswith("--variant") for t in typed.values()):
            raise click.UsageError(f"{e.message} (from --variant {variant!r})") from None
        raise


_EXAMPLE = {"size": "1m", "count": "200", "duration": "2s"}  # a value of each Param kind, for messages


def _build(name: str, key: str, args: tuple[str, ...], given: dict[str, Any], typed: dict[str, str],
           variant: str | None = None) -> w.Workload:
    if key in OTHER:
        if given:
            raise click.UsageError(f"{name} takes positional arguments, not {_opts(given)}")
        return _other(key, args)
    if args:
        raise click.UsageError(f"{name} takes no positional arguments (got {' '.join(args)}); use its options")
    if key not in w.BUILTINS:
        raise click.UsageError(f"unknown workload {name!r}; choose one of {', '.join(workload_names())}")
    b = w.BUILTINS[key]
    for alias, target in b.cli_aliases:
        if alias in given:
            if target in given:
                raise click.UsageError(f"{name}: give --{target} or --{alias}, not both")
            given[target] = given.pop(alias)
            typed[target] = typed.pop(alias)
    takes = {p.name: p for p in b.params}
    extra = [p for p in given if p not in takes]
    if extra:
        raise click.UsageError(f"{name} does not take {_opts(extra)}; it takes {_opts(takes)}")
    for p in b.params:
        if p.name not in given and p.cli_default is not w.REQUIRED and p.cli_default_unless not in given:
            given[p.name] = p.cli_default
    missing = [p for p in b.params if p.default is w.REQUIRED and p.name not in given]
    if missing:
        example = " ".join(f"{p.cli} {_EXAMPLE[p.kind]}" for p in missing)
        if variant is None:
            raise click.UsageError(f"{name} needs {_opts(p.name for p in missing)} (e.g. directmem run {name} {example})")
        inside = ";".join(f"{p.name.replace('_', '-')}={_EXAMPLE[p.kind]}" for p in missing)
        flags = [p.cli for p in missing]
        listed = flags[0] if len(flags) == 1 else ", ".join(flags[:-1]) + " and " + flags[-1]
        gives, it = (("does not give it", "it") if len(flags) == 1 else
                     ("gives neither", "them") if len(flags) == 2 else ("gives none of them", "them"))
        raise click.UsageError(f"{name} needs {listed}; --variant {variant!r} {gives}: give {it} before the variants "
                               f"for every run (e.g. directmem compare {name} {example} --variant ...), or in each "
                               f"--variant (e.g. --variant {inside!r})")
    try:
        return w.builtin(key, **given)
    except ConfigError as e:  # "churn.size": name the flag (or the variant) the value came from
        param = e.option.partition(".")[2]
        if e.source is None and param in typed:
            raise ConfigError(e.option, e.value, e.reason, typed[param]) from None
        raise


def _workload_source(param: str, params: dict[str, Any], base: dict[str, Any] | None, variant: str | None) -> str:
    """``--size``, or ``--variant 'size=12q'`` when the variant set or changed the value."""
    dest = "hold_" if param == "hold" else param
    if variant is not None and base is not None and params.get(dest) != base.get(dest):
        return f"--variant {variant!r}"
    return "--" + param.replace("_", "-")


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
    if ":" not in target.strip(":"):
        raise click.UsageError(f"call needs module:function, got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: modules of the current directory import
    try:
        fn: Any = resolve(target)
    except (ImportError, AttributeError, ValueError) as e:
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
    from ..config import OPTIONS

    out: dict[str, Any] = {}
    for o in OPTIONS:
        value, switch = params.get(o.name), params.get(f"{o.name}_switch")
        if value and switch and value != switch:
            flag = next(f for f, v in o.switches if v == switch)
            raise click.UsageError(f"{o.cli[0]} {value} contradicts {flag}")
        value = value or switch if o.switches else value
        if value is None or (o.cli_type == "multi" and not value):
            continue
        out[o.name] = list(value) if o.cli_type == "multi" else value
    if "properties" in out:
        props = {}
        for item in out["properties"]:
            k, sep, v = item.partition("=")
            if not sep or not k:
                raise click.UsageError(f"--property takes KEY=VALUE, got {item!r}")
            props[k] = v
        out["properties"] = props
    return out


def launch_sources(kwargs: dict[str, Any], common: dict[str, Any] | None = None, variant: str | None = None) -> dict[str, str]:
    """Where each launch option of `kwargs` came from, for ConfigError: its flag (``--docker-host``, not the Python
    name); in `compare`, ``--variant '...'`` for the options a variant set or changed from `common` (both for a
    repeatable option that the common flags and the variant add to)."""
    from ..config import BY_NAME

    out = {}
    for name in kwargs:
        o = BY_NAME.get(name)
        if o is None:
            continue
        flag = o.cli_flag
        if variant is not None and common is not None and kwargs[name] != common.get(name):
            where = f"--variant {variant!r}"
            flag = f"{flag} or {where}" if o.cli_type == "multi" and common.get(name) else where
        out[name] = flag
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


# a variant's keys as users write them (the README's, the CLI flags' singular) -> the option's name
VARIANT_ALIASES = {"hold": "hold_", "property": "properties", "flag": "flags", "cp": "classpath", "d": "properties",
                   "disable_explicit_gc": "explicit_gc", "heap_dump": "heap_dump_on_oom", "docker_host": "docker_hosts"}
SHOWN_AS = {"properties": "property", "flags": "flag", "heap_dump_on_oom": "heap_dump", "docker_hosts": "docker_host"}


def parse_variant(text: str, command: click.Command, base: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, params) of one --variant "key=value;key=value": `base` with the variant's keys on top.

    Keys are the long options of `compare` without dashes (explicit-gc, gc, max-direct, heap, jdk, backend,
    memory, cpus, timeout, heap-dump=on|off, docker-host, flag, property=KEY=VALUE, classpath: the last four
    add to the base), the workload's options (count, size, ...), name=LABEL and expect=OUTCOME[,OUTCOME].
    """
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in base.items()}
    by_name: dict[str, click.Option] = {}
    for p in command.params:
        if isinstance(p, click.Option) and p.name and not p.is_flag or p.name == "heap_dump_on_oom":
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
        key = VARIANT_ALIASES.get(key, key)
        if key in seen and key not in ("flags", "properties", "classpath", "docker_hosts"):  # those add up
            raise click.BadParameter(f"key {key.replace('_', '-')!r} given twice in {text!r}", param_hint="--variant")
        seen.add(key)
        if key == "name":
            if not value.strip():
                raise click.BadParameter(f"empty name= in {text!r}", param_hint="--variant")
            name = value
            continue
        if key == "expect":
            params["expect"] = value
            continue
        if key in NOT_VARIANT or key not in by_name:
            known = sorted(SHOWN_AS.get(k, k).replace("_", "-").rstrip("-") for k in by_name if k not in NOT_VARIANT)
            raise click.BadParameter(f"unknown key {key.replace('_', '-')!r} in {text!r}; known: name, expect, "
                                     + ", ".join(known), param_hint="--variant")
        opt = by_name[key]
        if key == "heap_dump_on_oom":
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


def check_writable(path: str | None, option: str) -> None:
    """A usage error (click.UsageError: exit 2) before anything runs when `path` cannot be written: its directory is missing,
    not writable, or it is a directory. Tries the file itself (root passes access() checks on /proc)."""
    if not path:
        return
    target = Path(path).expanduser()
    existed = target.exists()
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "is a directory")
        with open(target, "a"):
            pass
    except OSError as e:
        raise click.UsageError(f"invalid {option} {path!r}: cannot write there ({e.strerror or e})") from None
    if not existed:
        target.unlink(missing_ok=True)
