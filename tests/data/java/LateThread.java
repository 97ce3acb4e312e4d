import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** main() returns at once; a non-daemon thread goes on and dies of a direct OOM afterwards (bare java waits for it). */
public class LateThread {
    static final List<ByteBuffer> held = new ArrayList<>();
    public static void main(String[] args) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            while (true) held.add(ByteBuffer.allocateDirect(1 << 20));
        }, "late writer");
        t.start();
        System.out.println("main returns");
    }
}
