package directmem;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Workloads of the incident library (pytest_directmem.incidents), called through
 * {@code dm.workloads.static("directmem.Incidents#method", ...)}. Files live only in
 * java.io.tmpdir and are deleted; every direct allocation is followed by {@link Sampler#note()}.
 * Facts the harness cannot see from outside are journaled as a {@code note} event.
 */
public final class Incidents {
    private static final int CHUNK = 128 * 1024;
    private static final long WAIT_MS = 60_000L;

    private Incidents() {}

    /**
     * large-heap-write (adoptium-support 894, JDK-8316156): one heap array of {@code size} bytes
     * written to a file. Modes: {@code channel-write} (FileChannel.write of the whole wrapped
     * array: one temporary direct buffer of its size), {@code files-copy} (Files.copy from a
     * ByteArrayInputStream: transferTo), {@code chunked-write} (128 KiB slices of the array),
     * {@code transfer-to} (FileChannel.transferTo between two files: no temporary buffer).
     */
    public static String largeHeapWrite(String mode, int size) throws IOException {
        byte[] data = new byte[size];
        Path target = tempFile("directmem-write");
        Path source = null;
        try {
            switch (mode) {
                case "channel-write":
                    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.wrap(data));
                    }
                    break;
                case "files-copy":
                    Files.copy(new ByteArrayInputStream(data), target, StandardCopyOption.REPLACE_EXISTING);
                    break;
                case "chunked-write":
                    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
                        for (int off = 0; off < size; off += CHUNK) {
                            ByteBuffer slice = ByteBuffer.wrap(data, off, Math.min(CHUNK, size - off));
                            while (slice.hasRemaining()) ch.write(slice);
                        }
                    }
                    break;
                case "transfer-to":
                    source = tempFile("directmem-source");
                    try (RandomAccessFile raf = new RandomAccessFile(source.toFile(), "rw")) {
                        raf.write(data);  // java.io: a malloc'd copy, no direct buffer
                    }
                    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                         FileChannel out = FileChannel.open(target, StandardOpenOption.WRITE)) {
                        for (long pos = 0; pos < size; ) pos += in.transferTo(pos, size - pos, out);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("largeHeapWrite mode: channel-write, files-copy, chunked-write or transfer-to, not " + mode);
            }
            Sampler.note();
            return "{\"mode\":\"" + mode + "\",\"bytes\":" + Files.size(target) + "}";
        } finally {
            Files.deleteIfExists(target);
            if (source != null) Files.deleteIfExists(source);
        }
    }

    /**
     * temp-cache-pinning (ehcache3 2868, linkerd 1858): {@code threads} threads each write one heap
     * array of {@code payload} bytes through a FileChannel and stay alive; their per-thread cached
     * temporary direct buffers stay reserved. Then this thread allocates {@code then} bytes of
     * direct memory in {@code chunk} buffers. Journals {@code note {"pinned": bytes}}: the direct
     * pool's usage after the writes (jdk.nio.maxCachedBufferSize below the payload frees them).
     */
    public static String tempCachePinning(int threads, int payload, long then, int chunk) throws Throwable {
        CountDownLatch written = new CountDownLatch(threads);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> crew = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                try {
                    Path p = tempFile("directmem-pin");
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE)) {
                        ByteBuffer src = ByteBuffer.wrap(new byte[payload]);
                        while (src.hasRemaining()) ch.write(src);
                    }
                    Sampler.note();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    Runner.noteThread(e, Thread.currentThread().getName());
                } finally {
                    written.countDown();
                }
                try {
                    release.await(WAIT_MS, TimeUnit.MILLISECONDS);  // alive: the thread's buffer cache lives on
                } catch (InterruptedException ignored) {
                    // exit
                }
            }, "directmem-pinner-" + i);
            t.setDaemon(true);
            crew.add(t);
            t.start();
        }
        List<ByteBuffer> held = new ArrayList<>();
        try {
            if (!written.await(WAIT_MS, TimeUnit.MILLISECONDS)) throw new TimeoutException("pinner threads did not write");
            Throwable f = failure.get();
            if (f != null) throw f;
            long pinned = directUsed();
            Runner.journal("note", "{\"pinned\":" + pinned + "}");
            for (long n = 0; n < then; n += chunk) {
                held.add(ByteBuffer.allocateDirect(chunk));
                Sampler.note();
            }
            return "{\"pinned\":" + pinned + ",\"allocated\":" + (long) held.size() * chunk + "}";
        } finally {
            release.countDown();
            for (Thread t : crew) t.join(WAIT_MS);
            Reference.reachabilityFence(held);
        }
    }

    /**
     * limit-edges (openjdk test/jdk/java/nio/Buffer/LimitDirectMemory.java): fill {@code fill}
     * bytes with buffers of {@code incr}, then allocate one more of {@code incr}. Sizes as in that
     * test: bytes, k/m/g suffixes, DEFAULT, DEFAULT+1, DEFAULT+1M, DEFAULT-1, DEFAULT/2
     * (DEFAULT = Runtime.maxMemory()). Throws OutOfMemoryError where the test expects one.
     */
    public static String limitEdges(String fill, String incr) {
        long size = edgeSize(fill);
        long step = edgeSize(incr);
        if (step > Integer.MAX_VALUE) throw new IllegalArgumentException("buffer above 2 GiB: " + incr);
        List<ByteBuffer> held = new ArrayList<>();
        long total = 0;
        while (size >= step && step > 0) {
            held.add(ByteBuffer.allocateDirect((int) step));
            Sampler.note();
            size -= step;
            total += step;
        }
        held.add(ByteBuffer.allocateDirect((int) step));
        Sampler.note();
        total += step;
        Reference.reachabilityFence(held);
        return "{\"buffers\":" + held.size() + ",\"bytes\":" + total + "}";
    }

    static long edgeSize(String s) {
        long def = Runtime.getRuntime().maxMemory();
        switch (s) {
            case "DEFAULT": return def;
            case "DEFAULT+1": return def + 1;
            case "DEFAULT+1M": return def + (1 << 20);
            case "DEFAULT-1": return def - 1;
            case "DEFAULT/2": return def / 2;
            default: return Workloads.size(s);
        }
    }

    private static long directUsed() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(b.getName())) return b.getMemoryUsed();
        }
        return -1;
    }

    private static Path tempFile(String prefix) throws IOException {
        File f = File.createTempFile(prefix, ".tmp");  // java.io.tmpdir
        f.deleteOnExit();
        return f.toPath();
    }
}
