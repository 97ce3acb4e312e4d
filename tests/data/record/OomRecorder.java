// Provokes one kind of OutOfMemoryError and either records it as one JSON line
// ("OOMRECORD {...}") or lets it escape so that the JVM prints it (see record.py).
// Usage: OomRecorder <scenario> catch|throw [thread-name]
// Compiled with `javac --release 11`; no dependencies.
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class OomRecorder {
    static final List<Object> KEEP = new ArrayList<>();
    static final int MIB = 1 << 20;

    public static void main(String[] args) throws Exception {
        String scenario = args[0];
        boolean rethrow = args[1].equals("throw");
        Runnable body = () -> {
            try {
                provoke(scenario);
                System.out.println("no OutOfMemoryError");
            } catch (Throwable t) {
                if (rethrow) {
                    KEEP.clear();
                    sneakyThrow(t);
                }
                KEEP.clear();
                record(t);
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

    static void provoke(String scenario) throws Throwable {
        switch (scenario) {
            case "direct": // hold 1 MiB direct buffers until the reservation fails
                while (true) KEEP.add(ByteBuffer.allocateDirect(MIB));
            case "heap":
                while (true) KEEP.add(new byte[MIB]);
            case "gc-overhead": { // many small live objects: collections recover almost nothing
                Map<Integer, String> m = new HashMap<>();
                KEEP.add(m);
                for (int i = 0; ; i++) m.put(i, String.valueOf(i));
            }
            case "array":
                KEEP.add(new long[Integer.MAX_VALUE]);
                return;
            case "metaspace": // define many tiny classes, each in a loader kept alive
                for (int i = 0; ; i++) {
                    Loader l = new Loader();
                    for (int j = 0; j < 100; j++) KEEP.add(l.define("gen/C" + i + "_" + j));
                }
            case "unsafe": {
                Class<?> u = Class.forName("sun.misc.Unsafe");
                Field f = u.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                Object unsafe = f.get(null);
                // through a method handle: no InvocationTargetException around the error
                long addr = (long) java.lang.invoke.MethodHandles.lookup()
                        .findVirtual(u, "allocateMemory",
                                java.lang.invoke.MethodType.methodType(long.class, long.class))
                        .invoke(unsafe, 1L << 50);
                KEEP.add(addr);
                return;
            }
            case "thread": // run under `ulimit -v`: the 2 GiB stack cannot be reserved
                for (int i = 0; ; i++) {
                    Thread t = new Thread(null, OomRecorder::sleepForever, "big-stack-" + i, 1L << 31);
                    t.setDaemon(true);
                    t.start();
                    KEEP.add(t);
                }
            case "map": { // run under `ulimit -v`: mmap of 2 GiB fails
                Path p = Files.createTempFile("oomrec", ".bin");
                p.toFile().deleteOnExit();
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    KEEP.add(ch.map(FileChannel.MapMode.READ_WRITE, 0, Integer.MAX_VALUE));
                }
                return;
            }
            case "custom":
                throw new OutOfMemoryError("custom");
            case "null-message":
                throw new OutOfMemoryError();
            case "wrapped": // a direct OOM wrapped by application code
                try {
                    provoke("direct");
                } catch (OutOfMemoryError e) {
                    KEEP.clear();
                    throw new IllegalStateException("buffer pool exhausted", e);
                }
                return;
            default:
                throw new IllegalArgumentException(scenario);
        }
    }

    static void sleepForever() {
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static final class Loader extends ClassLoader {
        Class<?> define(String name) {
            byte[] b = classBytes(name);
            return defineClass(name.replace('/', '.'), b, 0, b.length);
        }
    }

    /** A minimal class file: public class NAME extends Object {} (class file version 52). */
    static byte[] classBytes(String name) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        try {
            out.writeInt(0xCAFEBABE);
            out.writeShort(0);
            out.writeShort(52);
            out.writeShort(5); // constant pool count + 1
            out.writeByte(1); out.writeUTF(name);               // #1 Utf8 name
            out.writeByte(7); out.writeShort(1);                // #2 Class #1
            out.writeByte(1); out.writeUTF("java/lang/Object"); // #3
            out.writeByte(7); out.writeShort(3);                // #4 Class #3
            out.writeShort(0x0021); // public super
            out.writeShort(2);
            out.writeShort(4);
            out.writeShort(0); // interfaces
            out.writeShort(0); // fields
            out.writeShort(0); // methods
            out.writeShort(0); // attributes
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return bytes.toByteArray();
    }

    /** Prints the OutOfMemoryError (or the first one in the cause chain) as one JSON line. */
    static void record(Throwable t) {
        Throwable oom = t;
        while (oom != null && !(oom instanceof OutOfMemoryError)
                && !oom.getClass().getName().endsWith("OutOfDirectMemoryError")) {
            oom = oom.getCause();
        }
        if (oom == null) oom = t;
        StringBuilder s = new StringBuilder("{");
        s.append("\"jdk\": ").append(str(System.getProperty("java.version")));
        s.append(", \"class\": ").append(str(oom.getClass().getName()));
        s.append(", \"message\": ").append(str(oom.getMessage()));
        s.append(", \"thread\": ").append(str(Thread.currentThread().getName()));
        if (oom != t) s.append(", \"thrown\": ").append(str(t.toString()));
        s.append(", \"stack\": [");
        StackTraceElement[] st = oom.getStackTrace();
        for (int i = 0; i < st.length; i++) s.append(i == 0 ? "" : ", ").append(str(st[i].toString()));
        s.append("]}");
        System.out.println("OOMRECORD " + s);
    }

    static String str(String v) {
        if (v == null) return "null";
        StringBuilder s = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            if (c == '"' || c == '\\') s.append('\\').append(c);
            else if (c < 0x20) s.append(String.format("\\u%04x", (int) c));
            else s.append(c);
        }
        return s.append('"').toString();
    }

    @SuppressWarnings("unchecked")
    static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }
}
