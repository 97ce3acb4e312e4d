package directmem;

import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples the "direct" buffer pool (count, used, capacity), heap usage and the "mapped" pool (count, used)
 * on a daemon thread
 * into a CSV file, and keeps running peaks. {@link #note()} lets workloads update the peaks right
 * after an allocation so spikes shorter than the interval are not missed.
 */
public final class Sampler implements Runnable {
    static final String HEADER = "uptime_ms,count,used,capacity,heap_used,mapped_count,mapped_used\n";
    private static final BufferPoolMXBean DIRECT = pool("direct");
    private static final BufferPoolMXBean MAPPED = pool("mapped");
    private static final RuntimeMXBean RUNTIME = ManagementFactory.getRuntimeMXBean();
    private static final AtomicLong PEAK_USED = new AtomicLong();
    private static final AtomicLong PEAK_COUNT = new AtomicLong();
    private static final AtomicLong PEAK_MAPPED_USED = new AtomicLong();
    private static final AtomicLong PEAK_MAPPED_COUNT = new AtomicLong();
    private static volatile Sampler current;

    private final FileOutputStream out;   // null: peaks only
    private final int intervalMs;
    private final byte[] buf = new byte[160];
    private volatile boolean stopped;

    private Sampler(FileOutputStream out, int intervalMs) {
        this.out = out;
        this.intervalMs = intervalMs;
    }

    private static BufferPoolMXBean pool(String name) {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (name.equals(b.getName())) return b;
        }
        return null;
    }

    /** Starts sampling (replacing a previous sampler). interval <= 0: no thread, one line now. */
    public static synchronized void start(String samplesPath, int intervalMs) throws IOException {
        if (current != null) current.stopped = true;
        FileOutputStream out = null;
        if (samplesPath != null) {
            boolean fresh = new java.io.File(samplesPath).length() == 0;
            out = new FileOutputStream(samplesPath, true);
            if (fresh) out.write(HEADER.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        Sampler s = new Sampler(out, intervalMs);
        current = s;
        s.sample();
        if (intervalMs > 0) {
            Thread t = new Thread(s, "directmem-sampler");
            t.setDaemon(true);
            t.start();
        }
    }

    /** Updates the peaks from the pool. Cheap and allocation-free; never throws. */
    public static void note() {
        BufferPoolMXBean p = DIRECT;
        if (p == null) return;
        raise(PEAK_USED, p.getMemoryUsed());
        raise(PEAK_COUNT, p.getCount());
        Diagnose.allocated();
    }

    public static long peakUsed() {
        return PEAK_USED.get();
    }

    public static long peakCount() {
        return PEAK_COUNT.get();
    }

    public static long peakMappedUsed() {
        return PEAK_MAPPED_USED.get();
    }

    public static long peakMappedCount() {
        return PEAK_MAPPED_COUNT.get();
    }

    /** Writes one last sample line. */
    public static void finish() {
        Sampler s = current;
        if (s != null) s.sample();
    }

    private static void raise(AtomicLong peak, long v) {
        long p;
        while (v > (p = peak.get()) && !peak.compareAndSet(p, v)) { /* retry */ }
    }

    @Override
    public void run() {
        while (!stopped) {
            try {
                Thread.sleep(intervalMs);
            } catch (InterruptedException e) {
                return;
            }
            if (!stopped) sample();
        }
    }

    /** One CSV line, formatted into a reused byte array: no allocation. Never throws. */
    private synchronized void sample() {
        try {
            Runtime rt = Runtime.getRuntime();
            long count = DIRECT == null ? -1 : DIRECT.getCount();
            long used = DIRECT == null ? -1 : DIRECT.getMemoryUsed();
            long capacity = DIRECT == null ? -1 : DIRECT.getTotalCapacity();
            long mappedCount = MAPPED == null ? -1 : MAPPED.getCount();
            long mappedUsed = MAPPED == null ? -1 : MAPPED.getMemoryUsed();
            raise(PEAK_USED, used);
            raise(PEAK_COUNT, count);
            raise(PEAK_MAPPED_USED, mappedUsed);
            raise(PEAK_MAPPED_COUNT, mappedCount);
            if (out == null) return;
            int n = put(buf, 0, RUNTIME.getUptime(), ',');
            n = put(buf, n, count, ',');
            n = put(buf, n, used, ',');
            n = put(buf, n, capacity, ',');
            n = put(buf, n, rt.totalMemory() - rt.freeMemory(), ',');
            n = put(buf, n, mappedCount, ',');
            n = put(buf, n, mappedUsed, '\n');
            out.write(buf, 0, n);
        } catch (Throwable t) {
            // OutOfMemoryError, IOException...: skip this tick, never disturb the workload.
        }
    }

    private static int put(byte[] b, int at, long v, char end) {
        if (v < 0) {
            b[at++] = '-';
            v = -v;
        }
        int start = at;
        do {
            b[at++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v > 0);
        for (int i = start, j = at - 1; i < j; i++, j--) {
            byte x = b[i];
            b[i] = b[j];
            b[j] = x;
        }
        b[at++] = (byte) end;
        return at;
    }
}
