// Issue 11's acceptance program: hold 12 x 1 MiB in a static list, drop 3 x 1 MiB, ask for 2 MiB.
// With -XX:MaxDirectMemorySize=16m -XX:+DisableExplicitGC the 2 MiB request fails (the 3 MiB of garbage
// is never freed). Usage: HoldTwelve throw|swallow. "throw": the OOM leaves main. "swallow": the request
// runs on another thread that catches the OOM, prints it and main returns normally.
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

public class HoldTwelve {
    static final List<ByteBuffer> CACHE = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < 12; i++) CACHE.add(ByteBuffer.allocateDirect(1 << 20));
        drop(3);
        if (args.length > 0 && args[0].equals("swallow")) {
            Thread t = new Thread(() -> {
                try {
                    request(2 << 20);
                    System.out.println("no OutOfMemoryError");
                } catch (OutOfMemoryError e) {
                    System.out.println("swallowed " + e);
                }
            }, "requester");
            t.start();
            t.join();
        } else {
            request(2 << 20);
            System.out.println("no OutOfMemoryError");
        }
    }

    static void drop(int n) {
        for (int i = 0; i < n; i++) ByteBuffer.allocateDirect(1 << 20).put(0, (byte) 1);
    }

    static void request(int size) {
        ByteBuffer.allocateDirect(size);
    }
}
