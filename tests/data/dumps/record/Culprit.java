// The acceptance program of issue 11: hold 12 x 1 MiB in a static list, drop 3 x 1 MiB, ask for 2 MiB.
// Run with -XX:MaxDirectMemorySize=16m -XX:+DisableExplicitGC: the 2 MiB request fails (the 3 MiB of
// garbage is never freed), and the catch block dumps the heap with live=false (live=true would run a
// full GC and free the garbage). Usage: Culprit DUMP.hprof [pool]
// With "pool" it first prints the JVM's own count, POOL <buffers> <bytes> (the "direct" BufferPoolMXBean).
// The drop and the request are separate methods so that no dead local of main keeps a buffer reachable.
import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

public class Culprit {
    static final List<ByteBuffer> CACHE = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < 12; i++) CACHE.add(ByteBuffer.allocateDirect(1 << 20));
        drop(3);
        try {
            request(2 << 20);
            System.out.println("no OutOfMemoryError");
            System.exit(3);
        } catch (OutOfMemoryError e) {
            System.out.println("OOM " + e.getMessage());
            if (args.length > 1) pool();  // not for the recorded dumps: JMX's classes would double their size
            dump(args[0]);
        }
    }

    static void drop(int n) {
        for (int i = 0; i < n; i++) ByteBuffer.allocateDirect(1 << 20).put(0, (byte) 1);
    }

    static void request(int size) {
        ByteBuffer.allocateDirect(size);
    }

    static void pool() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) System.out.println("POOL " + pool.getCount() + " " + pool.getMemoryUsed());
        }
    }

    static void dump(String file) throws Exception {
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(file, false);
    }
}
