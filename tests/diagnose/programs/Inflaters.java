// Native memory outside the direct limit and outside Unsafe: N zlib inflaters, never ended, kept in a list.
// Each java.util.zip.Inflater mallocs zlib's state in its JNI init. Usage: Inflaters N
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Inflater;

public class Inflaters {
    static final List<Inflater> KEPT = new ArrayList<>();

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        for (int i = 0; i < n; i++) KEPT.add(new Inflater());
        System.out.println("inflaters " + KEPT.size());
    }
}
