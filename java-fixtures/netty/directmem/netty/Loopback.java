package directmem.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Netty server and `connections` Netty clients over loopback (NIO transport), every channel
 * on the same allocator. Each client writes `messages` messages of `message` bytes, one at a time
 * (the next after the previous reached the socket), so the clients hold little. The server reads
 * with its channels' allocator (RecvByteBufAllocator sizing, as any Netty server) and keeps
 * every `keepEvery`-th buffer it reads (1: all, a handler that forgets release(); N: one in N,
 * a slow leak or a cache of a few messages; 0: none, the control), releasing the others, which
 * can pin far more of the allocator's memory than the kept bytes until the limit breaks. An OutOfMemoryError on an event loop is rethrown on the calling thread, the
 * event loop's name noted. Event loop threads: directmem-netty-server-*, -client-*, -boss-*.
 */
final class Loopback {
    private final ByteBufAllocator alloc;
    private final int connections;
    private final int message;
    private final long messages;
    private final long keepEvery;
    private final long timeoutMs;
    private final long expected;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final ConcurrentLinkedQueue<ByteBuf> retained = new ConcurrentLinkedQueue<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);

    Loopback(ByteBufAllocator alloc, int connections, int message, long messages, long keepEvery, long timeoutMs) {
        if (connections < 1 || message < 1 || messages < 1) throw new IllegalArgumentException("connections, message and messages must be >= 1");
        this.alloc = alloc;
        this.connections = connections;
        this.message = message;
        this.messages = messages;
        this.keepEvery = keepEvery;
        this.timeoutMs = timeoutMs;
        this.expected = (long) connections * messages * message;
    }

    String run() throws Throwable {
        EventLoopGroup boss = new NioEventLoopGroup(1, new DefaultThreadFactory("directmem-netty-boss", true));
        EventLoopGroup server = new NioEventLoopGroup(Math.min(connections, 2), new DefaultThreadFactory("directmem-netty-server", true));
        EventLoopGroup client = new NioEventLoopGroup(1, new DefaultThreadFactory("directmem-netty-client", true));
        List<Channel> channels = new ArrayList<>();
        Throwable thrown = null;
        boolean finished = false;
        try {
            ServerBootstrap sb = new ServerBootstrap().group(boss, server).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.ALLOCATOR, alloc).childOption(ChannelOption.ALLOCATOR, alloc)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new Sink());
                        }
                    });
            Channel listener = sb.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
            channels.add(listener);
            Bootstrap cb = new Bootstrap().group(client).channel(NioSocketChannel.class)
                    .option(ChannelOption.ALLOCATOR, alloc).handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new Source());
                        }
                    });
            for (int i = 0; i < connections && failure.get() == null; i++) {
                ChannelFuture f = cb.connect(listener.localAddress()).sync();
                channels.add(f.channel());
            }
            finished = done.await(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (Throwable t) {
            thrown = t;
        }
        long got = received.get();
        long buffers = retained.size();
        long capacity = 0;
        for (ByteBuf b : retained) capacity += b.capacity();
        NettyScenarios.note(alloc);
        NettyScenarios.J value = new NettyScenarios.J().num("connections", connections).num("expected", expected)
                .num("received", got).num("reads", reads.get()).num("retained_buffers", buffers)
                .num("retained_capacity", capacity);
        List<ByteBuf> all = new ArrayList<>(retained);
        retained.clear();
        NettyScenarios.release(all);
        for (Channel c : channels) c.close().awaitUninterruptibly(1000);
        for (EventLoopGroup g : new EventLoopGroup[] {client, server, boss}) g.shutdownGracefully(0, 500, TimeUnit.MILLISECONDS);
        NettyScenarios.usage(new NettyScenarios.J().num("netty_received", got).num("netty_reads", reads.get())
                .num("netty_retained_buffers", buffers).num("netty_retained_capacity", capacity));
        Throwable failed = failure.get();
        if (failed != null) throw failed;
        if (thrown != null) throw thrown;
        if (!finished) {
            throw new TimeoutException("loopback: received " + got + " of " + expected + " bytes in " + timeoutMs + " ms");
        }
        return "{" + value.members() + "}";
    }

    private void fail(Throwable t) {
        if (failure.compareAndSet(null, t)) NettyScenarios.noteThread(t, Thread.currentThread().getName());
        done.countDown();
    }

    /** Server side: counts what arrives; keeps it (retain) or releases it. */
    private final class Sink extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            long total = received.addAndGet(b.readableBytes());
            long read = reads.incrementAndGet();
            boolean keep = keepEvery > 0 && read % keepEvery == 0;
            if (keep) retained.add(b);
            NettyScenarios.note(alloc);
            if (!keep) b.release();
            if (total >= expected) done.countDown();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
            ctx.close();
        }
    }

    /** Client side: writes its messages one after the other. */
    private final class Source extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx, 0);
        }

        private void send(ChannelHandlerContext ctx, long i) {
            if (i >= messages || failure.get() != null) return;
            try {
                ByteBuf b = ctx.alloc().directBuffer(message, message);
                b.writeZero(message);
                NettyScenarios.note(alloc);
                ctx.writeAndFlush(b).addListener(f -> {
                    if (done.getCount() == 0) return;  // finished or failed elsewhere: the server may be gone
                    if (f.isSuccess()) send(ctx, i + 1);
                    else fail(f.cause());
                });
            } catch (Throwable t) {
                fail(t);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
            ctx.close();
        }
    }
}
