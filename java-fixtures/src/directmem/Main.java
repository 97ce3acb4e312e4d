package directmem;

import java.util.Arrays;

/**
 * Bare-java entry point, doing exactly what the Python worker does through JPype:
 * {@code java [flags] -cp directmem-fixtures.jar directmem.Main [--journal PATH] [--samples PATH]
 * [--interval MS] WORKLOAD ARGS...}. Exit code 0 completed, 3 oom, 1 error (2 usage).
 */
public final class Main {
    private Main() {}

    public static void main(String[] argv) {
        String journal = null, samples = null;
        int interval = 10;
        int i = 0;
        try {
            for (; i < argv.length && argv[i].startsWith("--"); i += 2) {
                if (i + 1 >= argv.length) throw new IllegalArgumentException("missing value for " + argv[i]);
                String value = argv[i + 1];
                switch (argv[i]) {
                    case "--journal": journal = value; break;
                    case "--samples": samples = value; break;
                    case "--interval": interval = Integer.parseInt(value); break;
                    default: throw new IllegalArgumentException("unknown option " + argv[i]);
                }
            }
            if (i >= argv.length) throw new IllegalArgumentException("no workload given");
        } catch (RuntimeException e) {
            System.err.println("directmem.Main: " + e.getMessage() + "\nusage: directmem.Main"
                    + " [--journal PATH] [--samples PATH] [--interval MS] WORKLOAD ARGS...");
            System.exit(2);
        }
        Runner.init(journal, samples, interval);
        String status = Runner.run(argv[i], Arrays.copyOfRange(argv, i + 1, argv.length));
        Runner.exit(Runner.COMPLETED.equals(status) ? 0 : Runner.OOM.equals(status) ? 3 : 1);
    }
}
