import java.util.ArrayList;
import java.util.List;

/** Heap-OOM control: fill the Java heap with 1 MiB arrays until "Java heap space" (uncaught: exit 1). */
public class HeapHog {
    public static void main(String[] args) {
        List<byte[]> held = new ArrayList<>();
        while (true) held.add(new byte[1 << 20]);
    }
}
