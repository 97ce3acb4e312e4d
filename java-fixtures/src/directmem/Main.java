package directmem;

import java.util.Arrays;

/**
 * Bare-java entry point, doing exactly what the Python worker does through JPype (the "java" host):
 * {@code java [flags] -cp directmem-fixtures.jar directmem.Main [--journal PATH] [--samples PATH]
 * [--interval MS] [--kind builtin|main|static] [--types T,T...] NAME ARGS...}. NAME is a built-in
 * workload, a main class (--kind main) or "pkg.Class#method" (--kind static, --types as the worker's
 * spec: int, float, bool, str, null). Exit code 0 completed, 3 oom, 1 error (2 usage).
 */
public final class Main {
    private Main() {}

    public static void main(String[] argv) {
        String journal = null, samples = null, kind = "builtin";
        String[] types = null;
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
                    case "--kind": kind = value; break;
                    case "--types": types = value.isEmpty() ? new String[0] : value.split(",", -1); break;
                    default: throw new IllegalArgumentException("unknown option " + argv[i]);
                }
            }
            if (i >= argv.length) throw new IllegalArgumentException("no workload given");
            if (!Arrays.asList("builtin", "main", "static").contains(kind)) {
                throw new IllegalArgumentException("unknown --kind " + kind);
            }
        } catch (RuntimeException e) {
            System.err.println("directmem.Main: " + e.getMessage() + "\nusage: directmem.Main [--journal PATH]"
                    + " [--samples PATH] [--interval MS] [--kind builtin|main|static] [--types T,T] NAME ARGS...");
            System.exit(2);
        }
        Runner.init(journal, samples, interval);
        String name = argv[i];
        String[] args = Arrays.copyOfRange(argv, i + 1, argv.length);
        String status;
        switch (kind) {
            case "main": status = Runner.invokeMain(name, args); break;
            case "static": status = Runner.invokeStatic(name, args, types == null ? new String[args.length] : types); break;
            default: status = Runner.run(name, args);
        }
        Runner.exit(Runner.COMPLETED.equals(status) ? 0 : Runner.OOM.equals(status) ? 3 : 1);
    }
}
