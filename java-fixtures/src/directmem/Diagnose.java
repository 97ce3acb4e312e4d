package directmem;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.File;
import java.io.FileOutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.lang.reflect.Method;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The run-time half of {@code diagnose=True}, started by {@link Runner#init} when the system property
 * {@code directmem.diagnose} names a directory (the artifacts dir's {@code diagnosis/}).
 *
 * <p>A daemon thread polls every thread's stack every {@value #POLL_MS} ms. The first time a thread
 * sleeps inside {@code java.nio.Bits.reserveMemory} (see {@link #slowPath}: the failing allocation
 * retries there for ~0.5 s before it throws) it writes {@code direct-oom.hprof} with
 * {@code dumpHeap(f, live=false)} (live=true would run a full GC and change the outcome), once, and
 * journals {@code diagnosis_dump}. Another thread samples NMT ({@code vmNativeMemory summary scale=b}
 * through DiagnosticCommandImpl, see diagnosticCommand) every {@value #NMT_MS} ms on a second thread and at exit, and keeps per
 * category the peak committed bytes (on 17+ with NMT's own malloc peak, so short spikes count too), plus
 * the largest of "Other" less the direct pool's used (now, or at Other's peak less the pool's peak);
 * both go to {@code native.json} whenever a peak rises.
 */
public final class Diagnose implements Runnable {
    static final String PROPERTY = "directmem.diagnose";
    static final String DUMP = "direct-oom.hprof", NATIVE = "native.json";
    static final int POLL_MS = 20, NMT_MS = 100;
    private static final Pattern CATEGORY = Pattern.compile(
            "(?m)^-\\s+(.+?) \\(reserved=(\\d+)\\S*, committed=(\\d+)\\S*\\)");
    private static final Pattern MALLOC_PEAK = Pattern.compile("\\(malloc=(\\d+)\\S*(?: tag=\\S+)? #\\d+\\) \\(peak=(\\d+)");  // 25: tag=
    private static final Pattern TOTAL = Pattern.compile("(?m)^Total: reserved=(\\d+)\\S*, committed=(\\d+)");

    private final File dir;
    private final Journal journal;
    private final Map<String, Long> peaks = new LinkedHashMap<>();
    private long otherOutsideDirect = -1, nmtSamples;
    private String nmtError;
    private volatile boolean dumped;
    /** Without NMT's own malloc peaks (JDK 11) the peak is sampled after every built-in allocation too. */
    private volatile boolean samplePerAllocation;
    private static volatile Diagnose active;
    private HotSpotDiagnosticMXBean diagnostic;
    private Command command;

    private Diagnose(File dir, Journal journal) {
        this.dir = dir;
        this.journal = journal;
    }

    /** Starts the diagnosis thread when the property is set; never throws. */
    static void startIfRequested(Journal journal) {
        String path = System.getProperty(PROPERTY);
        if (path == null || path.isEmpty()) return;
        try {
            File dir = new File(path);
            dir.mkdirs();
            Diagnose d = new Diagnose(dir, journal);
            active = d;
            d.diagnostic = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            Thread t = new Thread(d, "directmem-diagnose");
            t.setDaemon(true);
            t.start();
            Thread n = new Thread(d::sampleNative, "directmem-nmt");  // its first call takes 0.2-1 s
            n.setDaemon(true);
            n.start();
            Runtime.getRuntime().addShutdownHook(new Thread(d::lastNative, "directmem-nmt-last"));
        } catch (Throwable e) {
            System.err.println("directmem: diagnose not started: " + e);
        }
    }

    /** Polls the stacks until it has dumped. */
    @Override
    public void run() {
        while (!dumped) {
            try {
                poll();
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            } catch (Throwable e) {
                // keep going: an OOM in this thread must not end the diagnosis
            }
        }
    }

    /** Samples NMT every NMT_MS until NMT fails. */
    private void sampleNative() {
        while (nmtError == null) {
            try {
                nmt();
                Thread.sleep(NMT_MS);
            } catch (InterruptedException e) {
                return;
            } catch (Throwable e) {
                // keep going
            }
        }
    }

    private void poll() throws Exception {
        Thread self = Thread.currentThread();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (e.getKey() == self || !slowPath(e.getValue())) continue;
            dumped = true;
            File f = new File(dir, DUMP);
            long t0 = System.nanoTime();
            diagnostic.dumpHeap(f.getPath(), false);
            StringBuilder sb = new StringBuilder(256);
            Json.str(Json.key(sb, "file"), f.getPath());
            Json.str(Json.key(sb, "thread"), e.getKey().getName());
            Json.key(sb, "dump_ms").append((System.nanoTime() - t0) / 1_000_000);
            if (journal != null) journal.write("diagnosis_dump", sb);
            return;
        }
    }

    /**
     * A thread sleeping inside Bits.reserveMemory: its last phase, after the reference processing and
     * System.gc() (a no-op under DisableExplicitGC) left no room; it sleeps 1, 2, ... 256 ms (~0.5 s in
     * all) between retries and then throws. A request that a System.gc() satisfies never gets here, so a
     * churn with explicit GC enabled does not dump at each collection.
     */
    static boolean slowPath(StackTraceElement[] stack) {
        for (int i = 0; i < stack.length; i++) {
            StackTraceElement f = stack[i];
            if (!"java.nio.Bits".equals(f.getClassName()) || !"reserveMemory".equals(f.getMethodName())) continue;
            for (int j = 0; j < i; j++) {  // 11-17: sleep; 21+: sleep, sleepNanos, sleep0
                if (stack[j].getClassName().equals("java.lang.Thread") && stack[j].getMethodName().startsWith("sleep")) {
                    return true;
                }
            }
            return false;
        }
        return false;
    }

    /** At exit: one more sample (waits for a first call still under way: a short run has no other). */
    private void lastNative() {
        if (nmtError == null) nmt();
    }

    /** Runs one diagnostic command, e.g. "VM.native_memory summary scale=b"; returns its output. */
    interface Command {
        String run(String line) throws Exception;
    }

    /**
     * DiagnosticCommandImpl's own native executeDiagnosticCommand(String): neither the platform MBean
     * server (its start builds the OperatingSystem MXBean, which reads cgroup files through an 8 KiB
     * temporary direct buffer that NIO caches per thread) nor the MBean's invoke (it first builds its
     * MBeanInfo, reading JFR's .jfc files through a 32 KiB one): both would count against the limit.
     * Needs --add-opens jdk.management/com.sun.management.internal (to_jvm_args adds it); without it, the
     * MBean server after all.
     */
    private static Command diagnosticCommand() throws Exception {
        try {
            Class<?> c = Class.forName("com.sun.management.internal.DiagnosticCommandImpl");
            Method get = c.getDeclaredMethod("getDiagnosticCommandMBean");
            get.setAccessible(true);
            Object impl = get.invoke(null);
            Method exec = c.getDeclaredMethod("executeDiagnosticCommand", String.class);
            exec.setAccessible(true);
            return line -> (String) exec.invoke(impl, line);
        } catch (Exception e) {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName("com.sun.management:type=DiagnosticCommand");
            return line -> {
                String[] words = line.split(" ");
                String op = words[0].equals("VM.native_memory") ? "vmNativeMemory" : words[0];
                String[] args = java.util.Arrays.copyOfRange(words, 1, words.length);
                return (String) server.invoke(name, op, new Object[] {args}, new String[] {String[].class.getName()});
            };
        }
    }

    /** Called by Sampler.note() after each built-in allocation: on a JDK whose NMT keeps no malloc peak, sample
     *  now, so that the peak does not depend on when the periodic sampler ran (a fact, not a timing). */
    static void allocated() {
        Diagnose d = active;
        if (d == null || !d.samplePerAllocation) return;
        try {
            d.nmt();
        } catch (Throwable ignored) {
            // sampling never breaks the workload
        }
    }

    private synchronized void nmt() {
        String text;
        try {
            if (command == null) command = diagnosticCommand();
            text = command.run("VM.native_memory summary scale=b");
        } catch (Throwable e) {
            nmtError = String.valueOf(e);
            writeNative();
            return;
        }
        if (text == null || !text.contains("committed=")) {
            nmtError = text == null ? "no output" : text.trim();
            writeNative();
            return;
        }
        nmtSamples++;
        boolean changed = nmtSamples == 1;
        if (nmtSamples == 1) samplePerAllocation = !MALLOC_PEAK.matcher(text).find();
        long other = -1, otherPeak = -1;
        Matcher m = CATEGORY.matcher(text);
        int at = -1;
        String name = null;
        long committed = 0;
        while (true) {  // each category: its line, then its detail lines up to the next category
            boolean found = m.find();
            if (name != null) {
                String block = text.substring(at, found ? m.start() : text.length());
                long peak = committed;
                Matcher p = MALLOC_PEAK.matcher(block);  // 17+: NMT's own malloc peak, whatever our timing
                if (p.find()) peak = committed - Long.parseLong(p.group(1)) + Long.parseLong(p.group(2));
                if (name.equals("Other")) {
                    other = committed;
                    otherPeak = peak;
                }
                Long old = peaks.get(name);
                if (old == null || peak > old) {
                    peaks.put(name, peak);
                    changed = true;
                }
            }
            if (!found) break;
            name = m.group(1).trim();
            committed = Long.parseLong(m.group(3));
            at = m.end();
        }
        Matcher t = TOTAL.matcher(text);
        if (t.find()) {
            long total = Long.parseLong(t.group(2));
            Long old = peaks.get("Total");
            if (old == null || total > old) {
                peaks.put("Total", total);
                changed = true;
            }
        }
        if (other >= 0) {
            long direct = directUsed();
            // now: Other less the pool; at Other's peak the pool held at most its own peak: a lower bound
            long outside = Math.max(other - direct, otherPeak - Math.max(direct, Sampler.peakUsed()));
            if (outside > otherOutsideDirect) {
                otherOutsideDirect = Math.max(0, outside);
                changed = true;
            }
        }
        if (changed) writeNative();
    }

    private static long directUsed() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(b.getName())) return b.getMemoryUsed();
        }
        return 0;
    }

    private void writeNative() {
        StringBuilder sb = new StringBuilder(1024).append('{');
        sb.append("\"samples\":").append(nmtSamples);
        Json.value(Json.key(sb, "error"), nmtError);
        Json.value(Json.key(sb, "other_outside_direct"), otherOutsideDirect < 0 ? null : otherOutsideDirect);
        Json.key(sb, "peak_committed").append('{');
        boolean first = true;
        for (Map.Entry<String, Long> e : peaks.entrySet()) {
            if (!first) sb.append(',');
            first = false;
            Json.str(sb, e.getKey()).append(':').append(e.getValue());
        }
        sb.append("}}\n");
        File tmp = new File(dir, NATIVE + ".tmp");
        try (FileOutputStream out = new FileOutputStream(tmp)) {
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            return;
        }
        tmp.renameTo(new File(dir, NATIVE));
    }
}
