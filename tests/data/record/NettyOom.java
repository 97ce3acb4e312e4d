// Provokes Netty's own io.netty.util.internal.OutOfDirectMemoryError (or the JDK's direct OOM when
// Netty cannot use its no-cleaner buffers) and records it like OomRecorder (see record.py).
// Usage: NettyOom pooled|default|nocleaner catch|throw [thread-name]
// Holds 1 MiB buffers; gives up after 256 MiB (Netty 4.2 on JDK 25 enforces no limit: see record.py).
// Compiled with `javac --release 11 -cp netty-common.jar:netty-buffer.jar:<OomRecorder classes>`.
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Version;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.List;

public class NettyOom {
    static final List<Object> KEEP = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        boolean rethrow = args[1].equals("throw");
        String version = Version.identify().values().iterator().next().artifactVersion();
        System.out.println("NETTYINFO {\"netty\": " + OomRecorder.str(version)
                + ", \"max_direct\": " + PlatformDependent.maxDirectMemory()
                + ", \"no_cleaner\": " + PlatformDependent.useDirectBufferNoCleaner()
                + ", \"allocator\": " + OomRecorder.str(ByteBufAllocator.DEFAULT.getClass().getName()) + "}");
        Runnable body = () -> {
            try {
                for (long total = 0; total < (256L << 20); total += 1 << 20) {
                    if (mode.equals("pooled")) KEEP.add(PooledByteBufAllocator.DEFAULT.directBuffer(1 << 20));
                    else if (mode.equals("default")) KEEP.add(ByteBufAllocator.DEFAULT.directBuffer(1 << 20));
                    else if (mode.equals("nocleaner")) KEEP.add(PlatformDependent.allocateDirectNoCleaner(1 << 20));
                    else throw new IllegalArgumentException(mode);
                }
                System.out.println("no OutOfMemoryError after 256 MiB");
            } catch (Throwable t) {
                KEEP.clear();
                if (rethrow) OomRecorder.sneakyThrow(t);
                OomRecorder.record(t);
            }
        };
        if (args.length > 2) {
            Thread t = new Thread(body, args[2]);
            t.start();
            t.join();
        } else {
            body.run();
        }
    }
}
