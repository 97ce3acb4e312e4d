"""Module-level functions for dm.workloads.call(): they run in the worker with the JVM started."""


def pool_count(jvm, n):
    """Allocate n direct buffers from Python and return the pool's count as the JVM sees it."""
    ByteBuffer = jvm.JClass("java.nio.ByteBuffer")
    held = [ByteBuffer.allocateDirect(1024) for _ in range(n)]
    ManagementFactory = jvm.JClass("java.lang.management.ManagementFactory")
    BufferPoolMXBean = jvm.JClass("java.lang.management.BufferPoolMXBean")
    pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean)
    direct = next(p for p in pools if str(p.getName()) == "direct")
    assert len(held) == n
    return int(direct.getCount())


def python_held_buffers(jvm):
    """A leak written in Python: JPype keeps every buffer reachable, so the limit is hit."""
    ByteBuffer = jvm.JClass("java.nio.ByteBuffer")
    held = []
    while True:
        held.append(ByteBuffer.allocateDirect(1 << 20))


def raises(jvm):
    raise ValueError("on purpose")


def python_heap_hog(jvm):
    """Fill the Java heap from Python: JPype's own threads then fight for memory too."""
    ArrayList = jvm.JClass("java.util.ArrayList")
    held = ArrayList()
    while True:
        held.add(jvm.JArray(jvm.JByte)(1 << 20))


def python_churn(jvm, count, size):
    """A Python loop that allocates direct buffers and drops each one (the churn written in Python)."""
    ByteBuffer = jvm.JClass("java.nio.ByteBuffer")
    for _ in range(count):
        b = ByteBuffer.allocateDirect(size)
        b.put(0, 1)
        del b
    return count
