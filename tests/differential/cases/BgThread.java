// From /work/shared/cases/bg-thread (camunda 7807, mapdb 13): a worker thread dies of a direct OOM, the process lives on.
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** camunda#7807 / mapdb#13 / hertzbeat#3157: a worker thread dies of a direct OOM, the process lives on. */
public class BgThread {
    static final List<ByteBuffer> held = new ArrayList<>();
    public static void main(String[] args) throws Exception {
        Thread writer = new Thread(() -> {
            while (true) held.add(ByteBuffer.allocateDirect(1 << 20));   // leak until OOM
        }, "JDBM writer");
        writer.start();
        writer.join();                       // the thread died with an uncaught OutOfMemoryError
        System.out.println("main: writer is dead, held=" + held.size() + ", main goes on");
    }
}
