"""The worker: a child process that starts the JVM through JPype and runs one workload.

Run as ``python -m pytest_directmem.worker SPEC.json``. It imports nothing of the harness
beyond this package, so it starts fast and can run inside a container from a bind mount.
"""
