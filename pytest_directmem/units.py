"""Sizes and durations as users write them: JVM-style sizes ("512k", "16m", "1g") and "500ms"/"2s"."""

from __future__ import annotations

import re

from .errors import ConfigError

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmgt]?)b?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")
JAVA_LONG_MAX = (1 << 63) - 1


def parse_size(value: object, option: str, *, minimum: int = 0, maximum: int = JAVA_LONG_MAX,
               source: str | None = None) -> int:
    """Bytes from an int or a JVM-style size string ("512k", "16m", "1g", case-insensitive).

    Raises ConfigError naming `option` when the value is not a size or lies outside [minimum, maximum]
    (by default a Java long: the JVM parses its size flags into one)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(option, value, 'a size is an int of bytes or a string like "512k", "16m", "1g"', source)
    if isinstance(value, int):
        n = value
    else:
        m = _SIZE_RE.match(value)
        if not m:
            raise ConfigError(option, value, 'not a size: use bytes or a number with k, m, g or t ("16m")', source)
        n = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if n < minimum:
        raise ConfigError(option, value, f"must be at least {format_size(minimum)}", source)
    if n > maximum:
        raise ConfigError(option, value, f"must be at most {format_size(maximum)}", source)
    return n


def format_size(n: int | None) -> str:
    """JVM-style rendering: the largest unit that divides exactly (16777216 -> "16m")."""
    if n is None:
        return "-"
    for unit in ("t", "g", "m", "k"):
        if n and n % _UNITS[unit] == 0:
            return f"{n // _UNITS[unit]}{unit}"
    return str(n)


def human_size(n: int | None) -> str:
    """Approximate rendering for reports: 134217728 -> "128.0 MiB"."""
    if n is None:
        return "-"
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} B"


def parse_duration_ms(value: object, option: str, *, maximum_ms: int = 3600_000) -> int:
    """Milliseconds from seconds (a number) or a string like "500ms", "2s"; ConfigError naming `option`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(option, value, 'a duration is seconds (number) or a string like "500ms", "2s"')
    if isinstance(value, str):
        m = _DURATION.match(value)
        if not m:
            raise ConfigError(option, value, 'a duration is seconds (number) or a string like "500ms", "2s"')
        ms = float(m.group(1)) * (1 if m.group(2) == "ms" else 1000)
    else:
        ms = float(value) * 1000
    if ms <= 0 or ms > maximum_ms:
        raise ConfigError(option, value, f"must be > 0 and at most {maximum_ms // 1000} s")
    return int(ms)
