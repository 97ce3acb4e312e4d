package directmem;

import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.nio.charset.StandardCharsets;

/**
 * Appends one JSON object per line to a file opened in append mode. Each line is written with a
 * single write() call and nothing is buffered across lines, so a crash right after an event keeps
 * it. Other processes may append to the same file. A null path drops every event.
 */
public final class Journal {
    private static final RuntimeMXBean RUNTIME = ManagementFactory.getRuntimeMXBean();
    private final FileOutputStream out;
    private final StringBuilder line = new StringBuilder(16384);

    public Journal(String path) throws IOException {
        out = path == null ? null : new FileOutputStream(path, true);
    }

    /**
     * Writes {"event":..,"wall_ms":..,"uptime_ms":.., members}. members is the inside of a JSON
     * object ("\"a\":1,\"b\":[]") or null/empty.
     */
    public synchronized void write(String event, CharSequence members) throws IOException {
        line.setLength(0);
        line.append("{\"event\":");
        Json.str(line, event);
        line.append(",\"wall_ms\":").append(System.currentTimeMillis());
        line.append(",\"uptime_ms\":").append(RUNTIME.getUptime());
        if (members != null && members.length() > 0) line.append(',').append(members);
        line.append("}\n");
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        if (out != null) out.write(bytes);
    }

    public boolean enabled() {
        return out != null;
    }
}
