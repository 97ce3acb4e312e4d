// A Netty scenario for the dump tests: a pooled allocator's direct buffers held in a static list until
// the JDK's direct limit (or Netty's own) is hit; the catch block dumps the heap with live=false.
// Usage: NettyHold DUMP.hprof   (classpath: netty-buffer + netty-common, e.g. 4.1.115.Final)
import com.sun.management.HotSpotDiagnosticMXBean;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

public class NettyHold {
    static final List<ByteBuf> KEEP = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
        try {
            for (int i = 0; i < 1024; i++) KEEP.add(alloc.directBuffer(256 << 10));  // up to 256 MiB
            System.out.println("no OutOfMemoryError");
            System.exit(3);
        } catch (OutOfMemoryError e) {
            System.out.println("OOM " + e);
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(args[0], false);
        }
    }
}
