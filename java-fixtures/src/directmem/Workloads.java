package directmem;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.lang.ref.Reference;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Unsafe;

/**
 * Built-in workloads. Each takes string arguments (sizes accept "1048576", "512k", "16m", "1g",
 * "1t", case-insensitive, k = 1024) and returns the JSON text of a small object. Loops allocate
 * nothing but the buffers themselves and call {@link Sampler#note()} after each allocation.
 */
public final class Workloads {
    static final long JOIN_TIMEOUT_MS = 5 * 60 * 1000L;
    private static final int PAGE = 4096;
    private static final int READ_CHUNK = 64 * 1024;

    private Workloads() {}

    public static String run(String name, String[] a) throws Throwable {
        a = a == null ? new String[0] : a;
        switch (name == null ? "" : name) {
            case "churn": arity(name, a, 3); return churn(Long.parseLong(a[0]), intSize(a[1]), Long.parseLong(a[2]));
            case "hold": arity(name, a, 2); return hold(intSize(a[0]), Long.parseLong(a[1]));
            case "heap_hog": arity(name, a, 1); return heapHog(intSize(a[0]));
            case "unsafe_alloc": arity(name, a, 2); return unsafeAlloc(size(a[0]), Integer.parseInt(a[1]));
            case "socket_write":
                arity(name, a, 4);
                return socketWrite(Integer.parseInt(a[0]), intSize(a[1]), Long.parseLong(a[2]), intSize(a[3]));
            case "storm":
                if (a.length != 3) arity(name, a, 4);  // threads, size, duration ms (0: none)[, per-thread count (0: none)]
                return storm(Integer.parseInt(a[0]), intSize(a[1]), Long.parseLong(a[2]), a.length > 3 ? Long.parseLong(a[3]) : 0L);
            case "sleep": arity(name, a, 1); return sleep(Long.parseLong(a[0].trim()));
            case "crash": arity(name, a, 0); return crash();
            default: throw new IllegalArgumentException("unknown workload: " + name);
        }
    }

    /** Plain bytes or a JVM-style size: 512k, 16m, 1g, 1t (case-insensitive, 1k = 1024). */
    public static long size(String s) {
        String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        int shift = 0;
        if (!t.isEmpty()) {
            int unit = "kmgt".indexOf(t.charAt(t.length() - 1));
            if (unit >= 0) {
                shift = 10 * (unit + 1);
                t = t.substring(0, t.length() - 1);
            }
        }
        if (t.isEmpty() || !t.chars().allMatch(Character::isDigit)) {
            throw new NumberFormatException("not a size (bytes or 512k/16m/1g/1t): " + s);
        }
        long v = Long.parseLong(t);
        if (v > Long.MAX_VALUE >> shift) throw new NumberFormatException("size too large: " + s);
        return v << shift;
    }

    static int intSize(String s) {
        long v = size(s);
        if (v > Integer.MAX_VALUE) throw new IllegalArgumentException("size above 2 GiB - 1: " + s);
        return (int) v;
    }

    private static void arity(String name, String[] a, int n) {
        if (a.length != n) {
            throw new IllegalArgumentException(name + " takes " + n + " argument(s), got " + a.length);
        }
    }

    private static ByteBuffer direct(int size) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        if (size > 0) {
            b.put(0, (byte) 1);
            b.put(size - 1, (byte) 1);
        }
        Sampler.note();
        return b;
    }

    static String churn(long count, int size, long keepEvery) {
        List<ByteBuffer> kept = new ArrayList<>();
        long i = 0;
        for (; i < count; i++) {
            ByteBuffer b = direct(size);
            if (keepEvery > 0 && i % keepEvery == keepEvery - 1) kept.add(b);
        }
        return "{\"allocated\":" + i + ",\"kept\":" + kept.size() + "}";
    }

    static String hold(int size, long count) {
        List<ByteBuffer> held = new ArrayList<>();
        long n = 0;
        for (; count <= 0 || n < count; n++) held.add(direct(size));
        return "{\"held\":" + n + ",\"bytes\":" + n * size + "}";
    }

    static String heapHog(int chunk) {
        List<byte[]> hog = new ArrayList<>();
        for (;;) {
            byte[] b = new byte[chunk];
            for (int i = 0; i < chunk; i += PAGE) b[i] = 1;
            hog.add(b);
        }
    }

    static Unsafe unsafe() throws ReflectiveOperationException {
        Field f = Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        return (Unsafe) f.get(null);
    }

    static String unsafeAlloc(long size, int count) throws ReflectiveOperationException {
        Unsafe u = unsafe();
        long[] addresses = new long[Math.max(count, 0)];
        int n = 0;
        try {
            for (; n < count; n++) {
                long address = u.allocateMemory(size);  // the JVM's own OOM when malloc fails
                addresses[n] = address;
                for (long off = 0; off < size; off += PAGE) u.putByte(address + off, (byte) 1);
                Sampler.note();
            }
        } finally {
            for (int i = 0; i < n; i++) u.freeMemory(addresses[i]);
        }
        return "{\"allocated\":" + n + ",\"bytes\":" + n * size + "}";
    }

    static String sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return "{\"slept_ms\":" + ms + "}";
    }

    /** A genuine JVM crash (SIGSEGV in Unsafe): HotSpot writes hs_err and aborts. Public for static(). */
    public static String crash() throws ReflectiveOperationException {
        unsafe().putAddress(0L, 0L);  // SIGSEGV in HotSpot: hs_err file and abort
        unsafe().putAddress(8L, 0L);
        throw new IllegalStateException("crash: the JVM survived writes to address 0 and 8");
    }

    /**
     * Heap byte[] writes through java.net.Socket over loopback (temporary direct buffers on
     * JDK 13-23). The drain side reads into a private file mapping, a direct buffer that does not
     * count against MaxDirectMemorySize, so only the writers use the direct limit.
     */
    static String socketWrite(int threads, int payload, long writes, int hold) throws Throwable {
        ByteBuffer held = hold > 0 ? direct(hold) : null;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        Crew writers = new Crew(), readers = new Crew();
        AtomicLong done = new AtomicLong();
        List<AutoCloseable> open = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(loopback, 0), threads + 16);
            ByteBuffer drain = drainBuffer(Math.max(threads, 1) * READ_CHUNK);
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Socket s = new Socket(loopback, server.socket().getLocalPort());
                open.add(s);
                clients.add(s);
                SocketChannel accepted = server.accept();
                open.add(accepted);
                ByteBuffer slice = drain.position(i * READ_CHUNK).limit((i + 1) * READ_CHUNK).slice();
                readers.start("directmem-reader-" + i, () -> {
                    while (accepted.read(slice) >= 0) slice.clear();
                });
            }
            for (int i = 0; i < threads; i++) {
                OutputStream out = clients.get(i).getOutputStream();
                writers.start("directmem-writer-" + i, () -> {
                    byte[] data = new byte[payload];
                    for (long w = 0; w < writes && !writers.stop; w++) {
                        out.write(data);
                        Sampler.note();
                        done.incrementAndGet();
                    }
                    out.flush();
                });
            }
            boolean finished = writers.join(JOIN_TIMEOUT_MS);
            for (Socket s : clients) closeQuietly(s);
            readers.join(JOIN_TIMEOUT_MS);
            writers.rethrow();
            if (!finished) throw new TimeoutException("socket_write: writers still running after " + JOIN_TIMEOUT_MS + " ms");
        } finally {
            writers.stop = true;
            for (AutoCloseable c : open) closeQuietly(c);
            Reference.reachabilityFence(held);
        }
        return "{\"threads\":" + threads + ",\"writes\":" + done.get() + ",\"bytes\":" + done.get() * payload + "}";
    }

    /** A MapMode.PRIVATE mapping of a deleted temporary file: direct, outside the direct limit. */
    private static ByteBuffer drainBuffer(int size) throws IOException {
        File f = File.createTempFile("directmem-drain", ".buf");
        try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
            raf.setLength(size);
            return raf.getChannel().map(FileChannel.MapMode.PRIVATE, 0, size);
        } finally {
            f.delete();
        }
    }

    /**
     * {@code threads} threads allocate and drop buffers of {@code size}: each until it made
     * {@code perThread} allocations (0: no count) or {@code durationMs} passed (0: no deadline).
     * A count makes the work independent of the machine's speed and load.
     */
    static String storm(int threads, int size, long durationMs, long perThread) throws Throwable {
        if (durationMs <= 0 && perThread <= 0) throw new IllegalArgumentException("storm: give a duration or a per-thread count");
        Crew crew = new Crew();
        AtomicLong total = new AtomicLong();
        long deadline = System.nanoTime() + durationMs * 1_000_000L;
        for (int i = 0; i < threads; i++) {
            crew.start("directmem-storm-" + i, () -> {
                long n = 0;
                try {
                    while (!crew.stop && (perThread <= 0 || n < perThread)
                            && (durationMs <= 0 || System.nanoTime() - deadline < 0)) {
                        direct(size);
                        n++;
                    }
                } finally {
                    total.addAndGet(n);
                }
            });
        }
        boolean finished = crew.join(Math.max(durationMs, 0) + JOIN_TIMEOUT_MS);
        crew.stop = true;
        crew.rethrow();
        if (!finished) throw new TimeoutException("storm: threads still running");
        return "{\"allocations\":" + total.get() + ",\"threads\":" + threads + "}";
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort
        }
    }

    interface Task {
        void run() throws Throwable;
    }

    /** Worker threads: the first throwable of any of them stops the others and is kept. */
    static final class Crew {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> threads = new ArrayList<>();
        volatile String failedThread;
        volatile boolean stop;

        void start(String name, Task task) {
            Thread t = new Thread(() -> {
                try {
                    task.run();
                } catch (Throwable e) {
                    if (failure.compareAndSet(null, e)) failedThread = Thread.currentThread().getName();
                    stop = true;
                }
            }, name);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }

        /** Joins all threads within timeoutMs in total; true when all ended. */
        boolean join(long timeoutMs) throws InterruptedException {
            long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            for (Thread t : threads) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left > 0) t.join(left);
                if (t.isAlive()) {
                    stop = true;
                    return false;
                }
            }
            return true;
        }

        void rethrow() throws Throwable {
            Throwable t = failure.get();
            if (t != null) {
                Runner.noteThread(t, failedThread);
                throw t;
            }
        }
    }
}
