package directmem.netty;

import directmem.Runner;
import directmem.Sampler;
import directmem.Workloads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.Version;
import io.netty.util.internal.PlatformDependent;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Netty scenarios, called by the Python worker (pytest_directmem.netty.netty_scenario) through a
 * class loader whose parent has Netty on the classpath: any Netty 4.1/4.2 the user put there.
 * Compiled against the 4.1 API (binary compatible with 4.2). Each entry point journals a
 * "note" event with netty_* members (version, allocators, Netty's own limit) before it
 * allocates and another (netty_peak_*) after, then returns JSON or rethrows the failure as is.
 */
public final class NettyScenarios {
    static final AtomicLong PEAK_COUNTER = new AtomicLong(-1);
    static final AtomicLong PEAK_ALLOCATOR = new AtomicLong(-1);

    private NettyScenarios() {}

    /** "default" (ByteBufAllocator.DEFAULT, per io.netty.allocator.type), "pooled", "unpooled", "adaptive". */
    static ByteBufAllocator allocator(String name) throws ReflectiveOperationException {
        switch (name) {
            case "default": return ByteBufAllocator.DEFAULT;
            case "pooled": return PooledByteBufAllocator.DEFAULT;
            case "unpooled": return UnpooledByteBufAllocator.DEFAULT;
            case "adaptive":
                Class<?> c;
                try {
                    c = Class.forName("io.netty.buffer.AdaptiveByteBufAllocator");
                } catch (ClassNotFoundException e) {
                    throw new IllegalArgumentException("this Netty (" + nettyVersion() + ") has no AdaptiveByteBufAllocator");
                }
                return (ByteBufAllocator) c.getConstructor().newInstance();
            default: throw new IllegalArgumentException("unknown allocator: " + name);
        }
    }

    static String nettyVersion() {
        try {
            Map<String, Version> all = Version.identify(NettyScenarios.class.getClassLoader());
            Version v = all.get("netty-buffer");
            if (v == null && !all.isEmpty()) v = all.values().iterator().next();
            return v == null ? null : v.artifactVersion();
        } catch (Throwable t) {
            return null;
        }
    }

    /** The Netty environment as JSON members (no braces). */
    static String infoMembers(ByteBufAllocator chosen) {
        J j = new J();
        j.str("netty_version", nettyVersion());
        j.str("netty_allocator", chosen == null ? null : chosen.getClass().getName());
        j.str("netty_default_allocator", ByteBufAllocator.DEFAULT.getClass().getName());
        if (chosen instanceof PooledByteBufAllocator) {  // 0 when io.netty.maxDirectMemory < 3 chunks: unpooled
            j.num("netty_direct_arenas", ((PooledByteBufAllocator) chosen).metric().numDirectArenas());
        }
        j.str("netty_allocator_type", System.getProperty("io.netty.allocator.type"));
        j.num("netty_max_direct", PlatformDependent.maxDirectMemory());
        j.num("netty_used_counter", PlatformDependent.usedDirectMemory());
        j.bool("netty_no_cleaner", PlatformDependent.useDirectBufferNoCleaner());
        j.bool("netty_has_unsafe", PlatformDependent.hasUnsafe());
        Throwable why = PlatformDependent.getUnsafeUnavailabilityCause();
        j.str("netty_unsafe_unavailable", why == null ? null : why.toString());
        j.bool("netty_direct_preferred", PlatformDependent.directBufferPreferred());
        return j.members();
    }

    /** Journals the Netty environment; returns it as a JSON object text too. */
    public static String info() {
        String m = infoMembers(null);
        Runner.journal("note", "{" + m + "}");
        return "{" + m + "}";
    }

    /** Updates the peaks of Netty's own counter and of the allocator's metric. */
    static void note(ByteBufAllocator alloc) {
        Sampler.note();
        raise(PEAK_COUNTER, PlatformDependent.usedDirectMemory());
        if (alloc instanceof ByteBufAllocatorMetricProvider) {
            raise(PEAK_ALLOCATOR, ((ByteBufAllocatorMetricProvider) alloc).metric().usedDirectMemory());
        }
    }

    private static void raise(AtomicLong peak, long v) {
        long cur;
        while (v > (cur = peak.get()) && !peak.compareAndSet(cur, v)) { /* retry */ }
    }

    static void usage(J extra) {
        J j = extra == null ? new J() : extra;
        j.num("netty_peak_counter", PEAK_COUNTER.get());
        j.num("netty_peak_allocator", PEAK_ALLOCATOR.get());
        j.num("netty_peak_jdk_direct", Sampler.peakUsed());
        Runner.journal("note", "{" + j.members() + "}");
    }

    /**
     * Allocates `count` direct ByteBufs of `size` from `allocatorName` (0: until an
     * OutOfMemoryError), keeping every `keepEvery`-th (1: all; N: buffer i when i % N == N-1)
     * and releasing the others at once, as a server does with most messages. Stops when the kept
     * bytes would pass `upTo` (a safety cap: some Netty/JDK pairs enforce no limit at all).
     * Returns {"allocated","buffers","bytes","capped"} (buffers/bytes: kept).
     */
    public static String alloc(String allocatorName, String size, String count, String keepEvery, String upTo)
            throws Throwable {
        ByteBufAllocator alloc = allocator(allocatorName);
        int n = (int) Workloads.size(size);
        long max = Long.parseLong(count.trim());
        long keep = Math.max(1, Long.parseLong(keepEvery.trim()));
        long cap = Workloads.size(upTo);
        Runner.journal("note", "{" + infoMembers(alloc) + "}");
        List<ByteBuf> kept = new ArrayList<>();
        long allocated = 0;
        long bytes = 0;
        boolean capped = false;
        Throwable failure = null;
        try {
            while (max <= 0 || allocated < max) {
                boolean keepThis = allocated % keep == keep - 1;
                if (keepThis && bytes + n > cap) {
                    capped = true;
                    break;
                }
                ByteBuf b = alloc.directBuffer(n, n);
                allocated++;
                note(alloc);
                if (keepThis) {
                    kept.add(b);
                    bytes += n;
                } else {
                    b.release();
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
        int buffers = kept.size();
        note(alloc);
        release(kept);
        J j = new J().num("allocated", allocated).num("buffers", buffers).num("bytes", bytes).bool("capped", capped);
        usage(new J().num("netty_allocated", allocated).num("netty_kept_buffers", buffers).num("netty_kept_bytes", bytes));
        if (failure != null) throw failure;
        return "{" + j.members() + "}";
    }

    static void release(List<? extends ByteBuf> bufs) {
        for (ByteBuf b : bufs) {
            try {
                b.release();
            } catch (Throwable ignored) {
                // already released or freed with its chunk
            }
        }
        bufs.clear();
    }

    /** Runner.noteThread (package-private): which thread a failure came from. */
    static void noteThread(Throwable t, String thread) {
        try {
            Method m = Class.forName("directmem.Runner").getDeclaredMethod("noteThread", Throwable.class, String.class);
            m.setAccessible(true);
            m.invoke(null, t, thread);
        } catch (Throwable ignored) {
            // attribution is best effort
        }
    }

    /** See {@link Loopback}. */
    public static String loopback(String allocatorName, String connections, String message, String messages,
                                  String keepEvery, String timeoutMs) throws Throwable {
        ByteBufAllocator alloc = allocator(allocatorName);
        Runner.journal("note", "{" + infoMembers(alloc) + "}");
        return new Loopback(alloc, Integer.parseInt(connections.trim()), (int) Workloads.size(message),
                Long.parseLong(messages.trim()), Long.parseLong(keepEvery.trim()),
                Long.parseLong(timeoutMs.trim())).run();
    }

    /** A minimal JSON object builder (members only). */
    static final class J {
        private final StringBuilder sb = new StringBuilder(256);

        private J key(String k) {
            if (sb.length() > 0) sb.append(',');
            sb.append('"').append(k).append("\":");
            return this;
        }

        J num(String k, long v) {
            key(k).sb.append(v);
            return this;
        }

        J bool(String k, boolean v) {
            key(k).sb.append(v);
            return this;
        }

        J str(String k, String v) {
            key(k);
            if (v == null) {
                sb.append("null");
                return this;
            }
            sb.append('"');
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c == '"' || c == '\\') sb.append('\\').append(c);
                else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                else sb.append(c);
            }
            sb.append('"');
            return this;
        }

        String members() {
            return sb.toString();
        }
    }
}
