package directmem;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Workloads of the incident library where the OutOfMemoryError does not reach the workload's
 * caller as itself: it ends a worker thread (background-thread), arrives as the cause of another
 * exception (wrapped-oom) or is born as the cause of one (map-failed). Called through
 * {@code dm.workloads.static("directmem.OomPaths#method", ...)}; each journals a {@code note}
 * with what the application itself could see.
 */
public final class OomPaths {
    private static final long PAGE = 4096;
    private static final long FILE_SIZE = 1L << 30;
    private static final int RESERVE_BLOCKS = 512, RESERVE_BLOCK = 32 * 1024;  // 16 MiB of malloc arena

    private OomPaths() {}

    /**
     * background-thread (camunda 7807, mapdb 13): a thread named "JDBM writer" keeps direct
     * buffers of {@code size} until an OutOfMemoryError ends it (uncaught: the default handler
     * prints it to stderr); the calling thread joins it and returns normally. Value and note:
     * {@code held} (buffers the dead thread left behind), {@code writer_alive} (false),
     * {@code main_returned} (true).
     */
    public static String backgroundThread(int size) throws InterruptedException {
        List<ByteBuffer> held = new ArrayList<>();
        Thread writer = new Thread(() -> {
            for (;;) {
                held.add(ByteBuffer.allocateDirect(size));  // leak until the OOM ends this thread
                Sampler.note();
            }
        }, "JDBM writer");
        writer.start();
        writer.join();
        String members = "\"held\":" + held.size() + ",\"writer_alive\":" + writer.isAlive() + ",\"main_returned\":true";
        Runner.journal("note", "{" + members + "}");
        Reference.reachabilityFence(held);
        return "{" + members + "}";
    }

    /**
     * wrapped-oom, plainly (the pattern of a storage library): keep direct buffers of {@code size}
     * until an OutOfMemoryError, then {@code throw new IOException("store write failed", oom)}.
     */
    public static String wrappedWrite(int size) throws IOException {
        List<ByteBuffer> held = new ArrayList<>();
        try {
            for (;;) {
                held.add(ByteBuffer.allocateDirect(size));
                Sampler.note();
            }
        } catch (OutOfMemoryError e) {
            Runner.journal("note", "{\"held\":" + held.size() + "}");
            held.clear();
            throw new IOException("store write failed", e);
        }
    }

    /**
     * map-failed (RoaringBitmap 14): map {@code size} bytes of a 1 GiB sparse temporary file,
     * every other page so that mappings cannot merge, until {@code max} mappings are held (0: until
     * FileChannel.map fails at vm.max_map_count with {@code IOException: Map failed} caused by
     * {@code OutOfMemoryError: Map failed}). Journals a note: {@code mapped_ok} (whether all
     * {@code max} mappings succeeded), {@code mapped_pool_count}/{@code mapped_pool_bytes} (the
     * "mapped" BufferPoolMXBean while they are held), {@code direct_pool_bytes}. The mappings are
     * unmapped at once (Unsafe.invokeCleaner) before the failure is rethrown, so that the JVM
     * itself still finds free map areas (without that, JDK 21 and 25 may die of a fatal native OOM).
     */
    public static String mapFailed(int size, int max) throws Throwable {
        File f = File.createTempFile("directmem-map", ".dat");
        f.deleteOnExit();
        List<MappedByteBuffer> maps = new ArrayList<>();
        Throwable failure = null;
        long keep = 0;
        long stride = ((size + PAGE - 1) / PAGE + 1) * PAGE;  // a gap page between neighbours
        try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
            raf.setLength(FILE_SIZE);
            FileChannel ch = raf.getChannel();
            // Warm up the paths that run at the limit: with no map area left, the JVM cannot commit
            // metaspace for a method run for the first time there (a fatal native OOM, hs_err)
            List<MappedByteBuffer> warm = new ArrayList<>();
            warm.add(ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
            unmapAll(warm);
            pool("mapped");
            // At the limit even brk fails (the kernel checks the map count), so a malloc that needs
            // more heap is fatal. Leave free space inside this thread's malloc arena: blocks below
            // the mmap threshold, all freed but the last one, which keeps them from being trimmed.
            sun.misc.Unsafe u = Workloads.unsafe();
            long[] blocks = new long[RESERVE_BLOCKS];
            for (int b = 0; b < blocks.length; b++) blocks[b] = u.allocateMemory(RESERVE_BLOCK);
            for (int b = 0; b < blocks.length - 1; b++) u.freeMemory(blocks[b]);
            keep = blocks[blocks.length - 1];
            try {
                for (long i = 0; max <= 0 || maps.size() < max; i++) {
                    maps.add(ch.map(FileChannel.MapMode.READ_ONLY, (i * stride) % (FILE_SIZE - stride), size));
                }
            } catch (IOException | OutOfMemoryError e) {
                failure = e;
            }
            long[] mapped = pool("mapped");
            long[] direct = pool("direct");
            int count = maps.size();
            unmapAll(maps);
            String members = "\"mapped_ok\":" + (failure == null) + ",\"mapped_pool_count\":" + mapped[0]
                    + ",\"mapped_pool_bytes\":" + mapped[1] + ",\"direct_pool_bytes\":" + direct[1];
            Runner.journal("note", "{" + members + "}");
            if (failure != null) throw failure;
            return "{\"mappings\":" + count + "," + members + "}";
        } finally {
            if (keep != 0) Workloads.unsafe().freeMemory(keep);
            f.delete();
        }
    }

    private static void unmapAll(List<MappedByteBuffer> maps) {
        try {
            sun.misc.Unsafe u = Workloads.unsafe();
            for (MappedByteBuffer m : maps) u.invokeCleaner(m);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot unmap: " + e, e);
        } finally {
            maps.clear();
        }
    }

    /** {count, bytes used} of a BufferPoolMXBean ("direct", "mapped"); {-1, -1} when absent. */
    static long[] pool(String name) {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (name.equals(b.getName())) return new long[] {b.getCount(), b.getMemoryUsed()};
        }
        return new long[] {-1, -1};
    }
}
