package directmem;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * Keeps JPype's shutdown hook from breaking the JVM's other shutdown hooks.
 *
 * <p>JPype (org.jpype.JPypeContext.shutdown, 1.x) registers a shutdown hook that, after ~5 ms,
 * interrupts every live non-daemon thread, which includes the other shutdown hooks running
 * concurrently with it. JFR's "JFR Shutdown Hook" is one: interrupted while it writes a
 * {@code dumponexit=true} recording, it logs "Unable to complete I/O operation when dumping
 * recording" and leaves the file empty or truncated. Bare java never interrupts a hook.
 *
 * <p>JPype runs (and joins) the hooks registered through {@code JPypeContext.addShutdownHook}
 * before it interrupts anything: the waiter registered there joins the other hook threads first.
 * Hook threads are the threads started after {@link #exiting()} took its snapshot (Runner.exit
 * calls it just before System.exit); when something else called System.exit, JFR's hook thread
 * is recognised by name. Without JPype (the plain java host) nothing is registered.
 */
final class HostShutdown {
    private static volatile Set<Thread> beforeExit;

    private HostShutdown() {}

    /** Registers the waiter with JPype when this JVM is hosted by JPype; a no-op otherwise. */
    static void install() {
        try {
            Class<?> ctx = Class.forName("org.jpype.JPypeContext", false, ClassLoader.getSystemClassLoader());
            Object instance = ctx.getMethod("getInstance").invoke(null);
            Thread waiter = new Thread(HostShutdown::awaitOtherHooks, "directmem-await-shutdown-hooks");
            ctx.getMethod("addShutdownHook", Thread.class).invoke(instance, waiter);
        } catch (ClassNotFoundException e) {
            // not under JPype
        } catch (Throwable t) {
            System.err.println("directmem: cannot order shutdown hooks under JPype: " + t);
        }
    }

    /** Called just before System.exit: every thread started after this is a shutdown hook (or its child). */
    static void exiting() {
        beforeExit = Collections.unmodifiableSet(new HashSet<>(Thread.getAllStackTraces().keySet()));
    }

    private static void awaitOtherHooks() {
        Set<Thread> before = beforeExit;
        Thread self = Thread.currentThread();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t == self || t.isDaemon() || !t.isAlive() || isJPypeHook(t)) continue;
            boolean hook = before != null ? !before.contains(t) : t.getName().startsWith("JFR Shutdown Hook");
            if (!hook) continue;
            try {
                t.join();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static boolean isJPypeHook(Thread t) {
        for (StackTraceElement f : t.getStackTrace()) {
            if (f.getClassName().startsWith("org.jpype.")) return true;
        }
        return false;
    }
}
