package directmem.netty;

import directmem.Runner;
import directmem.Sampler;
import directmem.Workloads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * wrapped-oom (netty 4275, 1574): a ByteToMessageDecoder that copies every frame into a JDK
 * direct buffer and never frees it, fed through an EmbeddedChannel. Netty 4.0's
 * ByteToMessageDecoder wraps whatever decode() throws, the OutOfMemoryError included, in a
 * DecoderException; 4.1 rethrows an Error as it is. Uses only API that 4.0.31 and 4.1 share
 * (this class must not touch NettyScenarios, which needs 4.1). Journals a note with
 * {@code decoded} (frames copied before the failure) and {@code netty_version}.
 */
public final class DecodeLeak {
    private DecodeLeak() {}

    static final class LeakyDecoder extends ByteToMessageDecoder {
        final List<ByteBuffer> leaked = new ArrayList<>();

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            ByteBuffer copy = ByteBuffer.allocateDirect(in.readableBytes());
            Sampler.note();
            in.readBytes(copy);
            leaked.add(copy);
        }
    }

    /** Writes {@code frames} inbound frames of {@code size} bytes; returns {"decoded"} when all fit. */
    public static String run(String size, String frames) {
        int n = (int) Workloads.size(size);
        long count = Long.parseLong(frames);
        LeakyDecoder decoder = new LeakyDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        String version = io.netty.util.Version.identify(DecodeLeak.class.getClassLoader()).containsKey("netty-codec")
                ? io.netty.util.Version.identify(DecodeLeak.class.getClassLoader()).get("netty-codec").artifactVersion() : null;
        try {
            for (long i = 0; i < count; i++) {
                ch.writeInbound(Unpooled.wrappedBuffer(new byte[n]));  // 4.0: DecoderException(OOM); 4.1: the OOM
            }
        } finally {
            Runner.journal("note", "{\"decoded\":" + decoder.leaked.size()
                    + ",\"netty_version\":" + (version == null ? "null" : "\"" + version + "\"") + "}");
            decoder.leaked.clear();
        }
        return "{\"decoded\":" + count + "}";
    }
}
