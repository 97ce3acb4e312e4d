/** main() that ends the JVM itself: ExitMain exit|halt N [thread] (from main, or from a non-daemon thread after main returned). */
public class ExitMain {
    public static void main(String[] args) throws Exception {
        String how = args[0];
        int code = Integer.parseInt(args[1]);
        Runnable end = () -> {
            System.out.println("ending with " + how + "(" + code + ")");
            System.out.flush();
            if (how.equals("halt")) Runtime.getRuntime().halt(code);
            else System.exit(code);
        };
        if (args.length > 2) {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
                end.run();
            }, "ender");
            t.start();
            System.out.println("main returns");
            return;
        }
        end.run();
        System.out.println("not reached");
    }
}
