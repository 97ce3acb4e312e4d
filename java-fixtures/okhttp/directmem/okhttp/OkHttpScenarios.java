package directmem.okhttp;

import directmem.Runner;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import com.sun.management.HotSpotDiagnosticMXBean;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * seed-okhttp (seed document 004): okhttp 4.12 against a MockWebServer in the same JVM, TLS
 * (okhttp-tls, a self-signed certificate for localhost) over loopback, HTTP/1.1. A synchronous
 * warm-up POST opens the connection (handshake done, the server's read buffers cached); then a
 * culprit holds all of the direct limit but {@code free} bytes, and an asynchronous POST of
 * {@code body} bytes is enqueued on the pooled connection: its request-body write on okhttp's
 * dispatcher thread needs a temporary direct buffer (JDK 13-23: NioSocketImpl) and fails there.
 * okhttp hands the callback {@code IOException("canceled due to " + oom)} with the OOM suppressed,
 * then rethrows the OOM, which ends the dispatcher thread (uncaught, printed to stderr).
 */
public final class OkHttpScenarios {
    private static final long WAIT_S = 60;
    private static final MediaType BYTES = MediaType.get("application/octet-stream");

    private OkHttpScenarios() {}

    /** Bare java: {@code java -cp ... directmem.okhttp.OkHttpScenarios FREE BODY} prints what {@link #seed} returns. */
    public static void main(String[] args) throws Throwable {
        System.out.println(seed(args[0], args[1]));
    }

    /** Returns JSON: what the callback got ({@code result}: "failure" or "response") and where. */
    public static String seed(String free, String body) throws Throwable {
        long window = Long.parseLong(free);
        byte[] payload = new byte[Integer.parseInt(body)];
        HeldCertificate localhost = new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
        HandshakeCertificates serverCerts = new HandshakeCertificates.Builder().heldCertificate(localhost).build();
        HandshakeCertificates clientCerts = new HandshakeCertificates.Builder()
                .addTrustedCertificate(localhost.certificate()).build();
        MockWebServer server = new MockWebServer();
        server.useHttps(serverCerts.sslSocketFactory(), false);
        server.setProtocols(Collections.singletonList(Protocol.HTTP_1_1));
        server.enqueue(new MockResponse().setBody("warm"));
        server.enqueue(new MockResponse().setBody("ok"));
        server.start(InetAddress.getByName("localhost"), 0);
        OkHttpClient client = new OkHttpClient.Builder()
                .sslSocketFactory(clientCerts.sslSocketFactory(), clientCerts.trustManager())
                .protocols(Collections.singletonList(Protocol.HTTP_1_1))
                .build();
        ByteBuffer culprit = null;
        Json out = new Json();
        try {
            Request warm = new Request.Builder().url(server.url("/warm")).post(RequestBody.create(payload, BYTES)).build();
            try (Response r = client.newCall(warm).execute()) {
                r.body().string();
                out.str("tls", r.handshake() == null ? null : r.handshake().tlsVersion().javaName());
                out.str("protocol", r.protocol().toString());
            }
            long used = direct()[1];
            long hold = limit() - used - window;
            if (hold > 0) culprit = ByteBuffer.allocateDirect((int) hold);  // the culprit: all but `free` bytes
            out.num("free_after_culprit", limit() - direct()[1]);
            CountDownLatch done = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<String> thread = new AtomicReference<>();
            AtomicReference<Integer> code = new AtomicReference<>();
            Request post = new Request.Builder().url(server.url("/post")).post(RequestBody.create(payload, BYTES)).build();
            client.newCall(post).enqueue(new Callback() {
                @Override public void onFailure(Call call, IOException e) {
                    e.printStackTrace();  // what an application's callback does with it: log it
                    failure.set(e);
                    thread.set(Thread.currentThread().getName());
                    done.countDown();
                }

                @Override public void onResponse(Call call, Response response) {
                    try (Response r = response) {
                        code.set(r.code());
                        r.body().string();
                    } catch (IOException e) {
                        failure.set(e);
                    }
                    thread.set(Thread.currentThread().getName());
                    done.countDown();
                }
            });
            if (!done.await(WAIT_S, TimeUnit.SECONDS)) throw new TimeoutException("okhttp: no callback in " + WAIT_S + " s");
            Reference.reachabilityFence(culprit);
            culprit = null;
            describe(out, failure.get(), code.get(), thread.get());
        } finally {
            culprit = null;
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
            try {
                server.shutdown();
            } catch (Throwable ignored) {
                // the server's own threads may have failed too
            }
        }
        Runner.journal("note", "{" + out.members() + "}");
        return "{" + out.members() + "}";
    }

    private static void describe(Json out, Throwable e, Integer code, String thread) {
        out.str("result", e == null ? "response" : "failure");
        out.num("response_code", code == null ? -1 : code);
        out.str("callback_thread", thread == null ? null : thread.replaceAll(":\\d+", ""));
        out.str("callback_error", e == null ? null : e.toString());
        out.str("callback_error_head", e == null ? null : e.toString().replaceAll(" \\(allocated: .*$", ""));
        Throwable[] suppressed = e == null ? new Throwable[0] : e.getSuppressed();
        Throwable oom = suppressed.length > 0 ? suppressed[0] : null;
        out.str("suppressed", oom == null ? null : oom.getClass().getName());
        StackTraceElement[] stack = oom == null ? new StackTraceElement[0] : oom.getStackTrace();
        out.bool("oom_via_try_write", has(stack, "sun.nio.ch.NioSocketImpl", "tryWrite"));
        out.bool("oom_via_temporary_buffer", has(stack, "sun.nio.ch.Util", "getTemporaryDirectBuffer"));
        out.bool("oom_via_ssl_socket", has(stack, "sun.security.ssl.SSLSocketOutputRecord", "deliver"));
        out.str("oom_top_frame", stack.length == 0 ? null : stack[0].getClassName() + "." + stack[0].getMethodName());
    }

    private static boolean has(StackTraceElement[] stack, String cls, String method) {
        return Arrays.stream(stack).anyMatch(f -> f.getClassName().equals(cls) && f.getMethodName().equals(method));
    }

    /** -XX:MaxDirectMemorySize, else Runtime.maxMemory() (the default rule). */
    static long limit() {
        HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        long v = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
        return v > 0 ? v : Runtime.getRuntime().maxMemory();
    }

    static long[] direct() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(b.getName())) return new long[] {b.getCount(), b.getMemoryUsed()};
        }
        return new long[] {-1, -1};
    }

    /** JSON object members, without braces. */
    static final class Json {
        private final StringBuilder sb = new StringBuilder();

        private Json key(String k) {
            if (sb.length() > 0) sb.append(',');
            sb.append('"').append(k).append("\":");
            return this;
        }

        void str(String k, String v) {
            key(k);
            if (v == null) {
                sb.append("null");
                return;
            }
            sb.append('"');
            for (char c : v.toCharArray()) {
                if (c == '"' || c == '\\') sb.append('\\').append(c);
                else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                else sb.append(c);
            }
            sb.append('"');
        }

        void num(String k, long v) { key(k).sb.append(v); }

        void bool(String k, boolean v) { key(k).sb.append(v); }

        String members() { return sb.toString(); }
    }
}
