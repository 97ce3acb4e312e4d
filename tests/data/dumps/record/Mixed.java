// Every kind of buffer the reader classifies, in one small heap: a static holder, a slice and a
// duplicate (att -> parent), a read-only view (DirectByteBufferR), a mapped file (fd), a buffer held
// only by a local of a named thread, and garbage. Dumped with live=false while the thread waits.
// Usage: Mixed DUMP.hprof TMPFILE
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.CountDownLatch;

public class Mixed {
    static ByteBuffer PARENT;
    static ByteBuffer SLICE;
    static ByteBuffer DUP;
    static ByteBuffer READ_ONLY;
    static MappedByteBuffer MAPPED;

    public static void main(String[] args) throws Exception {
        PARENT = ByteBuffer.allocateDirect(1 << 20);
        PARENT.position(1024);
        SLICE = PARENT.slice();
        DUP = PARENT.duplicate();
        READ_ONLY = ByteBuffer.allocateDirect(256 << 10).asReadOnlyBuffer();
        try (RandomAccessFile f = new RandomAccessFile(args[1], "rw")) {
            f.setLength(64 << 10);
            MAPPED = f.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, 64 << 10);
        }
        garbage();
        CountDownLatch ready = new CountDownLatch(1), done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            ByteBuffer mine = ByteBuffer.allocateDirect(512 << 10);
            ready.countDown();
            try { done.await(); } catch (InterruptedException e) { throw new RuntimeException(e); }
            mine.put(0, (byte) 1);
        }, "local-holder");
        t.start();
        ready.await();
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(args[0], false);
        done.countDown();
        t.join();
    }

    static void garbage() {
        for (int i = 0; i < 2; i++) ByteBuffer.allocateDirect(128 << 10).put(0, (byte) 1);
    }
}
