import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** SwallowExit N: a worker thread fills direct memory and swallows the OOM; main then calls System.exit(N). */
public class SwallowExit {
    static final List<ByteBuffer> held = new ArrayList<>();
    public static void main(String[] args) throws Exception {
        Thread worker = new Thread(() -> {
            try {
                while (true) held.add(ByteBuffer.allocateDirect(1 << 20));
            } catch (OutOfMemoryError e) {
                System.out.println("swallowed: " + e.getMessage());
            }
        }, "worker-1");
        worker.start();
        worker.join();
        System.exit(Integer.parseInt(args[0]));
    }
}
