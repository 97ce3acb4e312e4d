package directmem;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Entry points called from the Python worker (through JPype) and from {@link Main}: start the
 * journal and sampler, run a workload on the calling thread, journal how it ended. Never rethrows.
 */
public final class Runner {
    public static final String COMPLETED = "completed", OOM = "oom", ERROR = "error";
    private static final int MAX_FRAMES = 200, NESTED_FRAMES = 60, MAX_NESTING = 12;
    private static volatile Journal journal;
    /** The throwable a worker thread failed with, and that thread's name (see noteThread). */
    private static volatile Throwable notedThrowable;
    private static volatile String notedThread;
    /** Non-daemon threads alive when the runner started (the host's own): never waited for. */
    private static final java.util.Set<Thread> HOST_THREADS =
            java.util.Collections.newSetFromMap(new java.util.concurrent.ConcurrentHashMap<>());

    private Runner() {}

    /** What a workload runs; returns the JSON text of its value. */
    interface Body {
        String call() throws Throwable;
    }

    public static void init(String journalPath, String samplesPath, int sampleIntervalMs) {
        try {
            journal = new Journal(journalPath);
            Sampler.start(samplesPath, sampleIntervalMs);
            HostShutdown.install();
        } catch (Exception e) {
            throw new IllegalStateException("directmem: cannot open journal/samples: " + e, e);
        }
        RuntimeMXBean rt = ManagementFactory.getRuntimeMXBean();
        List<String> gcs = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.add(gc.getName());
        }
        StringBuilder sb = new StringBuilder(1024);
        Json.str(Json.key(sb, "version"), System.getProperty("java.version"));
        Json.key(sb, "major").append(Runtime.version().feature());
        Json.str(Json.key(sb, "vendor"), System.getProperty("java.vm.vendor"));
        Json.str(Json.key(sb, "vm_name"), System.getProperty("java.vm.name"));
        Json.str(Json.key(sb, "java_home"), System.getProperty("java.home"));
        Json.key(sb, "max_heap").append(Runtime.getRuntime().maxMemory());
        Json.value(Json.key(sb, "max_direct"), maxDirectMemory());
        Json.strings(Json.key(sb, "gc_names"), gcs);
        Json.strings(Json.key(sb, "input_args"), rt.getInputArguments());
        Json.key(sb, "pid").append(ProcessHandle.current().pid());
        // The host's own footprint on the heap before the workload (JPype's wrappers, its context): live
        // objects and garbage alike; no GC is asked for to tell them apart.
        Json.key(sb, "heap_used").append(Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        // Pre-load and exercise everything the failure path uses, while memory is plentiful.
        Throwable warm = new Throwable("warm-up", new Error());
        warm.addSuppressed(new Error());
        throwableMembers(new StringBuilder(256), warm, "x");
        unwrap(new ExecutionException(new Error()));
        emit("jvm_started", sb);
        for (Thread t : liveThreads()) {
            if (!t.isDaemon()) HOST_THREADS.add(t);
        }
        Diagnose.startIfRequested(journal);  // -Ddirectmem.diagnose=DIR (diagnose=True)
    }

    /** jdk.internal.misc.VM.maxDirectMemory(), or null when not accessible (no --add-exports). */
    static Long maxDirectMemory() {
        try {
            return (Long) Class.forName("jdk.internal.misc.VM").getMethod("maxDirectMemory").invoke(null);
        } catch (Throwable t) {
            return null;
        }
    }

    /** Runs a built-in workload (see {@link Workloads}) on the calling thread. */
    public static String run(String workload, String[] args) {
        return execute(workload, args, () -> Workloads.run(workload, args));
    }

    /** Calls a public static method "pkg.Class#method" with values converted per types. */
    public static String invokeStatic(String target, String[] values, String[] types) {
        return execute(target, values, () -> Invoker.invokeStatic(target, values, types));
    }

    /**
     * Calls className.main(args) with the java launcher's semantics: the error main throws is not wrapped
     * (a method handle, not Method.invoke), and when main has returned (or thrown) the run goes on until the
     * last non-daemon thread it started has ended, like DestroyJavaVM; "threads_done" is journaled then.
     * A System.exit / Runtime.halt inside the workload ends the JVM: the journal then lacks the "exit" event
     * that {@link #exit} writes (no shutdown hook: starting its thread can itself fail at the limits).
     */
    public static String invokeMain(String className, String[] args) {
        String status = execute(className, args, () -> {
            Method m = Invoker.load(className).getMethod("main", String[].class);
            if (!Modifier.isStatic(m.getModifiers())) throw new NoSuchMethodException(className + ".main is not static");
            try {
                m.setAccessible(true);  // a public main in a non-public class, as the launcher allows
            } catch (RuntimeException ignored) {
                // an exported public class needs no access override
            }
            MethodHandle main = MethodHandles.lookup().unreflect(m);
            String[] argv = args == null ? new String[0] : args;
            main.invokeExact(argv);
            return "null";
        });
        awaitNonDaemonThreads();
        return status;
    }

    /** Joins every live non-daemon thread that did not exist at init, until none is left. */
    static void awaitNonDaemonThreads() {
        Thread self = Thread.currentThread();
        List<String> waitedFor = new ArrayList<>();
        while (true) {
            Thread next = null;
            for (Thread t : liveThreads()) {
                if (t != self && t.isAlive() && !t.isDaemon() && !HOST_THREADS.contains(t)) {
                    next = t;
                    break;
                }
            }
            if (next == null) break;
            if (waitedFor.isEmpty()) {
                StringBuilder sb = new StringBuilder(64);
                Json.str(Json.key(sb, "thread"), next.getName());
                emit("awaiting_threads", sb);
            }
            waitedFor.add(next.getName());
            try {
                next.join();
            } catch (InterruptedException e) {
                break;
            }
        }
        if (!waitedFor.isEmpty()) emit("threads_done", Json.strings(Json.key(new StringBuilder(64), "threads"), waitedFor));
    }

    private static Thread[] liveThreads() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) root = root.getParent();
        Thread[] all = new Thread[root.activeCount() + 16];
        int n;
        while ((n = root.enumerate(all, true)) == all.length) all = new Thread[all.length * 2];
        return java.util.Arrays.copyOf(all, n);
    }

    /** Journals a throwable caught elsewhere: "oom" for an OutOfMemoryError, else event. */
    public static void recordThrowable(String event, Throwable t) {
        t = unwrap(t);
        failure(t instanceof OutOfMemoryError ? "oom" : (event == null ? "error" : event), t);
    }

    /** Journals an arbitrary event; jsonFields is a JSON object text ({"a":1}) or null. */
    public static void journal(String event, String jsonFields) {
        String members = "";
        if (jsonFields != null && !jsonFields.trim().isEmpty()) {
            String s = jsonFields.trim();
            if (!s.startsWith("{") || !s.endsWith("}")) {
                throw new IllegalArgumentException("jsonFields is not a JSON object: " + s);
            }
            members = s.substring(1, s.length() - 1).trim();
        }
        emit(event, members);
    }

    public static void exit(int code) {
        Sampler.finish();
        StringBuilder peak = new StringBuilder(64);  // the mapped pool's peaks, after threads main left behind
        Json.key(peak, "mapped_used").append(Sampler.peakMappedUsed());
        Json.key(peak, "mapped_count").append(Sampler.peakMappedCount());
        emit("mapped_peak", peak);
        emit("exit", Json.key(new StringBuilder(16), "code").append(code));
        HostShutdown.exiting();
        System.exit(code);
    }

    /** Workloads with worker threads report which thread a throwable came from. */
    static void noteThread(Throwable t, String threadName) {
        notedThread = threadName;
        notedThrowable = t;
    }

    private static String execute(String name, String[] args, Body body) {
        StringBuilder start = new StringBuilder(256);
        Json.str(Json.key(start, "workload"), name);
        Json.strings(Json.key(start, "args"), args);
        emit("workload_start", start);
        long t0 = System.nanoTime();
        String value;
        String status;
        try {
            value = body.call();
            status = COMPLETED;
        } catch (Throwable thrown) {
            // The workload's frames (and whatever only they referenced) are gone here.
            value = null;
            Throwable t = unwrap(thrown);
            status = t instanceof OutOfMemoryError ? OOM : ERROR;
            failure(status, t);
        }
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        StringBuilder peak = new StringBuilder(64);
        Json.key(peak, "used").append(Sampler.peakUsed());
        Json.key(peak, "count").append(Sampler.peakCount());
        Json.key(peak, "mapped_used").append(Sampler.peakMappedUsed());
        Json.key(peak, "mapped_count").append(Sampler.peakMappedCount());
        emit("direct_peak", peak);
        StringBuilder done = new StringBuilder(128 + (value == null ? 0 : value.length()));
        Json.str(Json.key(done, "status"), status);
        Json.key(done, "elapsed_ms").append(elapsedMs);
        Json.key(done, "value").append(value == null ? "null" : value);
        emit("workload_done", done);
        return status;
    }

    static Throwable unwrap(Throwable t) {
        while (t.getCause() != null && (t instanceof InvocationTargetException
                || t instanceof ExecutionException || t instanceof CompletionException
                || t instanceof UndeclaredThrowableException)) {
            t = t.getCause();
        }
        return t;
    }

    private static void failure(String event, Throwable t) {
        String thread = t == notedThrowable ? notedThread : Thread.currentThread().getName();
        try {
            emit(event, throwableMembers(new StringBuilder(8192), t, thread));
        } catch (OutOfMemoryError e) {
            pause();
            try {
                emit(event, throwableMembers(new StringBuilder(8192), t, thread));
            } catch (Throwable ignored) {
                // give up silently
            }
        }
    }

    /**
     * class, message, stack (frames as StackTraceElement.toString()), thread, "cause" and "suppressed" (the
     * same members, recursively: every OutOfMemoryError a wrapper carries is journaled), and "causes" (the
     * flat cause chain: class and message).
     */
    static StringBuilder throwableMembers(StringBuilder sb, Throwable t, String thread) {
        describe(sb, t, MAX_FRAMES, java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()), 0);
        Json.str(Json.key(sb, "thread"), thread);
        Json.key(sb, "causes").append('[');
        Throwable c = t.getCause();
        for (int depth = 0; c != null && c != t && depth < 50; depth++, c = c.getCause()) {
            if (depth > 0) sb.append(',');
            sb.append('{');
            Json.str(Json.key(sb, "class"), c.getClass().getName());
            Json.str(Json.key(sb, "message"), c.getMessage());
            sb.append('}');
        }
        return sb.append(']');
    }

    private static void describe(StringBuilder sb, Throwable t, int maxFrames, java.util.Set<Throwable> seen, int depth) {
        seen.add(t);
        Json.str(Json.key(sb, "class"), t.getClass().getName());
        Json.str(Json.key(sb, "message"), t.getMessage());
        Json.key(sb, "stack").append('[');
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < frames.length && i < maxFrames; i++) {
            if (i > 0) sb.append(',');
            Json.str(sb, frames[i].toString());
        }
        sb.append(']');
        if (depth >= MAX_NESTING) return;
        Throwable cause = t.getCause();
        if (cause != null && !seen.contains(cause)) {
            Json.key(sb, "cause").append('{');
            describe(sb, cause, NESTED_FRAMES, seen, depth + 1);
            sb.append('}');
        }
        Throwable[] suppressed = t.getSuppressed();
        if (suppressed.length > 0) {
            Json.key(sb, "suppressed").append('[');
            int n = 0;
            for (Throwable s : suppressed) {
                if (seen.contains(s) || n >= 20) continue;
                if (n++ > 0) sb.append(',');
                sb.append('{');
                describe(sb, s, NESTED_FRAMES, seen, depth + 1);
                sb.append('}');
            }
            sb.append(']');
        }
    }

    /** Journals an event; an OutOfMemoryError is retried once after a pause, then dropped. */
    private static void emit(String event, CharSequence members) {
        Journal j = journal;
        if (j == null) return;
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                j.write(event, members);
                return;
            } catch (OutOfMemoryError e) {
                if (attempt == 0) pause();
            } catch (Throwable e) {
                return;  // journaling never breaks the run
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (Throwable ignored) {
            // nothing
        }
    }
}
