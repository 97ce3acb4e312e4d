// From /work/shared/cases/jpype-gc (issue 10): JPype's GC bridge injected System.gc() here; bare java shows none.
import java.nio.ByteBuffer;
/** A ring of 64 live 1 MiB direct buffers replaced round-robin (each survives young GCs and is promoted),
 *  plus heap garbage that keeps young GCs coming. Old-gen garbage DirectByteBuffers pile up far below the limit. */
public class Churn2 {
    static volatile Object sink;
    public static void main(String[] a) {
        int n = Integer.parseInt(a[0]);
        ByteBuffer[] ring = new ByteBuffer[64];
        for (int i = 0; i < n; i++) {
            ring[i % ring.length] = ByteBuffer.allocateDirect(1 << 20);
            ring[i % ring.length].put(4095, (byte) 1);
            for (int k = 0; k < 64; k++) sink = new byte[4096];   // 256 KiB heap garbage per iteration
        }
        System.out.println("done " + n);
    }
}
