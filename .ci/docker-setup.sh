#!/usr/bin/env bash
# Make a Docker engine answer on this machine, for the docker backend's tests.
#
#   bash .ci/docker-setup.sh
#
# Idempotent: if `docker info` already answers it does nothing.  Otherwise it
# installs Debian's docker.io (dockerd 20.10, containerd, runc) and debootstrap
# (used by pytest_directmem.backends.images to make the base image offline),
# then starts dockerd in the background without a bridge network and without
# touching iptables: containers of this project run with network_mode="none".
#
# Needs root (apt-get, dockerd).  Environment knobs:
#   DIRECTMEM_DOCKERD_DIR      where dockerd.log / dockerd.pid go
#                              (default: $RUNNER_TEMP, else /tmp)
#   DIRECTMEM_DOCKERD_TIMEOUT  seconds to wait for the engine (default 60)
#   DIRECTMEM_STORAGE_DRIVER   force a storage driver (default: dockerd's
#                              choice, overlay2; vfs as a fallback)
set -euo pipefail

say() { printf '[docker-setup] %s\n' "$*" >&2; }

state_dir="${DIRECTMEM_DOCKERD_DIR:-${RUNNER_TEMP:-/tmp}}"
log_file="$state_dir/dockerd.log"
pid_file="$state_dir/dockerd.pid"
timeout="${DIRECTMEM_DOCKERD_TIMEOUT:-60}"

# The /usr/local/bin/docker client (28.x, API 1.50) negotiates down to the
# daemon's API (1.41 for Debian's 20.10) by itself; docker-py does the same
# with version="auto".  Nothing needs pinning; DOCKER_API_VERSION=1.41 would.

engine_up() { docker info >/dev/null 2>&1; }

if engine_up; then
    say "docker engine already answers: $(docker info --format 'server {{.ServerVersion}}, storage driver {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null || echo '?')"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    say "no docker engine answers and this is not root: cannot install or start one"
    exit 1
fi

# --- packages -----------------------------------------------------------------
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # Update the package lists once, only if apt does not know the packages yet.
    for p in "${need[@]}"; do
        if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            say "apt-get update"
            apt-get update -q
            break
        fi
    done
    # Keep the package scripts from starting the daemon themselves (with a
    # default bridge and iptables rules): we start it below with our flags.
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        made_policy=1
    fi
    say "apt-get install -y --no-install-recommends ${need[*]}"
    rc=0
    apt-get install -y -q --no-install-recommends "${need[@]}" || rc=$?
    if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
    if [ "$rc" != 0 ]; then
        say "apt-get install failed ($rc)"
        exit "$rc"
    fi
fi
dockerd_bin="$(command -v dockerd)"
say "dockerd: $("$dockerd_bin" --version)"

# --- start dockerd ------------------------------------------------------------
mkdir -p "$state_dir"

# A stale daemon from an earlier run that no longer answers: stop it first.
if [ -s "$pid_file" ]; then
    old="$(cat "$pid_file")"
    if kill -0 "$old" 2>/dev/null && grep -q dockerd "/proc/$old/comm" 2>/dev/null; then
        say "dockerd pid $old does not answer; stopping it"
        kill "$old" || true
        for _ in $(seq 1 20); do kill -0 "$old" 2>/dev/null || break; sleep 0.5; done
    fi
    rm -f "$pid_file"
fi
# dockerd refuses to start while /var/run/docker.pid names a live process; a
# file left behind by a daemon killed hard names none.
if [ -s /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
fi

start_dockerd() {  # $1: extra flags (storage driver), may be empty
    say "starting: dockerd --bridge=none --iptables=false $1 (log: $log_file)"
    # shellcheck disable=SC2086
    nohup "$dockerd_bin" --bridge=none --iptables=false $1 \
        >>"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
}

wait_engine() {
    local pid deadline
    pid="$(cat "$pid_file")"
    deadline=$((SECONDS + timeout))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if engine_up; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.5
    done
    return 1
}

: >"$log_file"
driver_flag=""
if [ -n "${DIRECTMEM_STORAGE_DRIVER:-}" ]; then
    driver_flag="--storage-driver=$DIRECTMEM_STORAGE_DRIVER"
fi
start_dockerd "$driver_flag"
if ! wait_engine; then
    pid="$(cat "$pid_file")"
    if [ -z "$driver_flag" ] && ! kill -0 "$pid" 2>/dev/null; then
        say "dockerd exited; retrying with --storage-driver=vfs. Log tail:"
        tail -n 20 "$log_file" >&2 || true
        start_dockerd "--storage-driver=vfs"
        wait_engine || {
            say "dockerd never answered within ${timeout}s. Log tail:"
            tail -n 40 "$log_file" >&2 || true
            kill "$(cat "$pid_file")" 2>/dev/null || true
            exit 1
        }
    else
        say "dockerd never answered within ${timeout}s. Log tail:"
        tail -n 40 "$log_file" >&2 || true
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
fi

say "docker engine up (pid $(cat "$pid_file")): $(docker version --format 'server {{.Server.Version}} (API {{.Server.APIVersion}}), client {{.Client.Version}} (API {{.Client.APIVersion}})' 2>/dev/null || echo '?')"
say "$(docker info --format 'storage driver {{.Driver}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}}), memory limit {{.MemoryLimit}}, swap limit {{.SwapLimit}}, oom-kill-disable {{.OomKillDisable}}' 2>/dev/null || echo '?')"
docker info --format '{{range .Warnings}}{{println .}}{{end}}' 2>/dev/null | sed -n 's/^\(..*\)$/[docker-setup] engine warning: \1/p' >&2 || true
