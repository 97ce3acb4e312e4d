import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Throws OutOfMemoryErrors in the shapes the exceptions-log parser must read (recorded by record.py):
 *  swallow  - an OOM on another thread, wrapped okhttp-style (IOException "canceled due to", OOM suppressed),
 *             caught and logged there; main returns normally
 *  okhttp   - the same, but the wrapper escapes the thread inside an IllegalStateException (printed uncaught)
 *  rethrow  - caught, suppressed into a wrapper, then the same OOM rethrown and caught in main
 *  compiled - an OOM unwinding through JIT-compiled frames after many ordinary exceptions
 *  retry    - three OOMs caught in a loop (after a GC each new error may get the previous one's address)
 *  heap     - a Java heap OOM (thrown by the VM), caught in main */
public class OomThrows {
    static final List<Object> held = new ArrayList<>();

    static void fill() {
        while (true) held.add(ByteBuffer.allocateDirect(1 << 20));
    }

    static void deliver() throws IOException {
        try {
            fill();
        } catch (OutOfMemoryError oom) {
            IOException e = new IOException("canceled due to " + oom);
            e.addSuppressed(oom);
            throw e;
        }
    }

    static int parse(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static int step(int depth, int size) {
        if (depth == 0) {
            ByteBuffer b = ByteBuffer.allocateDirect(size);
            if (size > 16 || depth == (size & 1)) held.add(b);
            return b.capacity();
        }
        return step(depth - 1, size) + 1;
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "swallow": {
                Thread t = new Thread(() -> {
                    try {
                        deliver();
                    } catch (IOException e) {
                        System.out.println("callback failed: " + e.getMessage());
                    }
                }, "OkHttp Dispatcher");
                t.start();
                t.join();
                break;
            }
            case "okhttp": {   // okhttp's AsyncCall: the wrapper (OOM suppressed) escapes the dispatcher thread
                Thread t = new Thread(() -> {
                    try {
                        deliver();
                    } catch (IOException e) {
                        throw new IllegalStateException("callback failed", e);
                    }
                }, "OkHttp Dispatcher");
                t.start();
                t.join();
                break;
            }
            case "rethrow":
                try {
                    try {
                        fill();
                    } catch (OutOfMemoryError oom) {
                        held.clear();
                        RuntimeException r = new RuntimeException("cleanup");
                        oom.addSuppressed(r);
                        throw oom;
                    }
                } catch (OutOfMemoryError again) {
                    System.out.println("main caught " + again.getMessage());
                }
                break;
            case "compiled": {
                int sum = 0;
                for (int i = 0; i < 400; i++) sum += parse(i % 2 == 0 ? "x" : "1") + 1;
                for (int i = 0; i < 100000; i++) sum += step(i % 3, 1 + (i % 16));  // JIT-compiles step()
                try {
                    while (true) step(2, 1 << 20);
                } catch (OutOfMemoryError oom) {
                    System.out.println("compiled: " + sum + " " + oom.getMessage());
                }
                break;
            }
            case "retry":
                for (int k = 0; k < 3; k++) {
                    try {
                        fill();
                    } catch (OutOfMemoryError e) {
                        System.out.println("retry " + k + ": " + e.getMessage());
                    }
                }
                break;
            case "heap":
                try {
                    List<long[]> l = new ArrayList<>();
                    while (true) l.add(new long[1 << 20]);
                } catch (OutOfMemoryError oom) {
                    System.out.println("heap: " + oom.getMessage());
                }
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }
}
