// Workloads whose unified GC logs are recorded into tests/data/gclogs (see record.py).
// Compiled with `javac --release 11`; no dependencies.
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

public class GcWorkload {
    public static void main(String[] args) {
        String mode = args[0];
        try {
            if (mode.equals("churn")) {
                // count x size direct buffers, each dropped at once: only reference processing
                // (triggered by java.nio.Bits' System.gc()) frees them.
                int count = Integer.parseInt(args[1]);
                int size = Integer.parseInt(args[2]);
                long sum = 0;
                for (int i = 0; i < count; i++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(size);
                    b.put(0, (byte) i);
                    sum += b.get(0);
                }
                System.out.println("churn done " + count + " " + sum);
            } else if (mode.equals("heap")) {
                // Fill the Java heap with chunks until OutOfMemoryError, then let go.
                int chunk = Integer.parseInt(args[1]);
                List<byte[]> keep = new ArrayList<>();
                try {
                    for (int i = 0; ; i++) {
                        byte[] b = new byte[chunk];
                        b[i % chunk] = 1;
                        if (i % 4 != 0) keep.add(b); // some garbage too, for young collections
                    }
                } catch (OutOfMemoryError e) {
                    int n = keep.size();
                    keep = null;
                    System.out.println("heap filled: " + n + " chunks, " + e);
                }
            } else if (mode.equals("ring")) {
                // Allocate count chunks, keeping the last `window` alive: steady garbage with a
                // fixed live set, no OutOfMemoryError when window * chunk fits the heap.
                int count = Integer.parseInt(args[1]);
                int chunk = Integer.parseInt(args[2]);
                byte[][] ring = new byte[Integer.parseInt(args[3])][];
                for (int i = 0; i < count; i++) {
                    ring[i % ring.length] = new byte[chunk];
                }
                System.out.println("ring done " + count);
            } else {
                throw new IllegalArgumentException(mode);
            }
        } catch (OutOfMemoryError e) {
            System.out.println("OOM: " + e);
            System.exit(3);
        }
    }
}
