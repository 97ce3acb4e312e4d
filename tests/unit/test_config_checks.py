"""The validation layer (config_checks): every bad input of issue 13 and more of the same kinds is a
ConfigError naming the option and the value, raised by JvmConfig.create before anything starts."""

import pytest

import pytest_directmem as dm
from pytest_directmem.config import JvmConfig
from pytest_directmem.config_checks import (CONTRADICTIONS, JAVA_LONG_MAX, MIN_CPUS, MIN_HEAP, RESERVED_FLAGS,
                                            SIZE_RANGES, check_all, flag_size)

D = {"backend": "docker"}

BAD = [
    # ---- ranges and units (issue 13 inputs first) ----
    ({"max_direct": "99999999999t"}, "max_direct", "99999999999t"),
    ({"heap": "2m"}, "heap", "2m"),
    ({**D, "memory": "6m"}, "memory", "6m"),
    ({**D, "cpus": 0.001}, "cpus", "0.001"),
    ({**D, "cpus": 0.005}, "cpus", "0.005"),
    ({"max_direct": "8388608t"}, "max_direct", "8388608t"),  # 2**63: one above a Java long
    ({"max_direct": 1 << 63}, "max_direct", str(1 << 63)),
    ({"heap": "99999999999g"}, "heap", "99999999999g"),
    ({"heap": 3 << 20}, "heap", str(3 << 20)),
    ({"heap": "1023k"}, "heap", "1023k"),
    ({**D, "memory": "99999999999t"}, "memory", "99999999999t"),
    ({**D, "memory": "47m"}, "memory", "47m"),
    ({**D, "memory": 4 << 20}, "memory", str(4 << 20)),
    ({**D, "cpus": -1}, "cpus", "-1"),
    ({**D, "cpus": float("nan")}, "cpus", "nan"),
    ({**D, "cpus": "1"}, "cpus", "'1'"),
    ({"flags": ["-Xss99999999999t"]}, "flags", "-Xss99999999999t"),
    ({"flags": ["-Xmn99999999999t"]}, "flags", "-Xmn99999999999t"),
    ({"flags": ["-XX:MaxMetaspaceSize=99999999999t"]}, "flags", "MaxMetaspaceSize"),
    # ---- contradictions ----
    ({"properties": {"java.class.path": "/x"}}, "properties", "java.class.path"),
    ({"heap": "64m", "flags": ["-Xms512m"]}, "flags", "-Xms512m"),
    ({"flags": ["-XX:+UseG1GC", "-XX:+UseParallelGC"]}, "flags", "-XX:+UseG1GC -XX:+UseParallelGC"),
    ({**D, "memory": "64m", "heap": "256m"}, "memory", "64m"),
    ({**D, "memory": "64m", "heap": "64m"}, "memory", "64m"),
    ({"flags": ["-Djava.class.path=/x"]}, "flags", "-Djava.class.path=/x"),
    ({"flags": ["-Xmx64m", "-Xms128m"]}, "flags", "-Xms128m"),
    ({"heap": "64m", "flags": ["-XX:InitialHeapSize=1g"]}, "flags", "InitialHeapSize=1g"),
    ({"gc": "Serial", "flags": ["-XX:+UseZGC"]}, "flags", "-XX:+UseZGC"),
    ({"flags": ["-XX:+UseSerialGC", "-XX:+UseEpsilonGC"]}, "flags", "UseEpsilonGC"),
    ({"heap": "64m", "flags": ["-XX:MaxHeapSize=128m"]}, "flags", "MaxHeapSize=128m"),
    ({"flags": ["-XX:-DisableExplicitGC"]}, "flags", "-XX:-DisableExplicitGC"),
    ({**D, "jdk": "/usr/lib/jvm/whatever"}, "jdk", "/usr/lib/jvm/whatever"),
    # ---- flags that silence what the harness observes ----
    ({"flags": ["-Xlog:disable"]}, "flags", "-Xlog:disable"),
    ({"flags": ["-Xlog:gc*=off:file=gc.log"]}, "flags", "gc.log"),
    ({"flags": ["-Xlog:all=off:file=/some/where/gc.log"]}, "flags", "gc.log"),
    ({"flags": ["-Xlog:gc:file=gc.log:uptime"]}, "flags", "gc.log"),
    ({"flags": ['-Xlog:gc:file="gc.log"']}, "flags", "gc.log"),
    ({"flags": ["-XX:HeapDumpPath=/tmp/x"]}, "flags", "HeapDumpPath"),
    ({"flags": ["-XX:ErrorFile=/tmp/x"]}, "flags", "ErrorFile"),
]


@pytest.mark.parametrize("options,option,shown", BAD, ids=[f"{o}:{s}" for _, o, s in BAD])
def test_bad_input_is_a_config_error_naming_option_and_value(options, option, shown):
    with pytest.raises(dm.ConfigError) as info:
        JvmConfig.create(**options)
    assert info.value.option == option
    assert f"invalid {option}=" in str(info.value) and shown in str(info.value), str(info.value)


GOOD = [
    {"properties": {"sun.nio.MaxDirectMemorySize": "1K"}},  # the JVM ignores it (incident limit-edges shows it): allowed
    {"max_direct": "8388607t"},  # the largest the JVM takes (Java long, in whole terabytes)
    {"max_direct": JAVA_LONG_MAX},
    {"max_direct": 0},
    {"heap": "4m"},
    {**D, "memory": "48m"},
    {**D, "cpus": MIN_CPUS},
    {**D, "memory": "128m", "heap": "120m"},  # the incident library's xmx-near-limit variant
    {**D, "memory": "128m", "max_direct": "1g"},  # the README's kernel-kill example: direct above memory is a scenario
    {"flags": ["-Xlog:gc=off"]},  # measured: stdout only, gc.log intact
    {"flags": ["-Xlog:all=off"]},
    {"flags": ["-Xlog:gc*:file=other.log"]},
    {"flags": ["-XX:-UsePerfData"]},  # the harness reads no hsperfdata
    {"flags": ["-XX:+UseSerialGC", "-XX:+UseSerialGC"]},  # the same collector twice: the JVM accepts it
    {"gc": "Serial", "flags": ["-XX:+UseSerialGC"]},
    {"heap": "64m", "flags": ["-Xms64m"]},
    {"flags": ["-Xmx64m", "-Xms32m"]},
    {**D, "jdk": "21"},
]


@pytest.mark.parametrize("options", GOOD, ids=[str(g) for g in GOOD])
def test_valid_neighbours_are_accepted(options):
    JvmConfig.create(**options)


def test_rules_are_data():
    assert set(SIZE_RANGES) == {"heap", "max_direct", "memory"}
    assert all(r.maximum == JAVA_LONG_MAX for r in SIZE_RANGES.values())
    assert len(RESERVED_FLAGS) >= 5 and len(CONTRADICTIONS) >= 5
    assert flag_size("-Xms512m") == 512 << 20 and flag_size("-Xss1k") == 1024 and flag_size("-verbose") is None
    c = JvmConfig.create(heap="64m")
    with pytest.raises(dm.ConfigError, match="a custom rule"):
        check_all(c, [lambda cfg: ("heap", "64m", "a custom rule")])


def test_the_source_of_a_contradiction_is_named():
    with pytest.raises(dm.ConfigError, match=r"from @pytest.mark.directmem"):
        JvmConfig.create(flags=["-Xlog:disable"], sources={"flags": "@pytest.mark.directmem"})


def test_heap_minimum_matches_the_constant():
    assert MIN_HEAP == 4 << 20
    JvmConfig.create(heap=MIN_HEAP)
    with pytest.raises(dm.ConfigError, match="at least 4m"):
        JvmConfig.create(heap=MIN_HEAP - 1)

