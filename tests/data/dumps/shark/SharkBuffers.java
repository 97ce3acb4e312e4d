// The independent analyser of the dump tests: Shark 2.14 (square/leakcanary) lists every
// java.nio.DirectByteBuffer of a heap dump with its capacity and its shortest path to a GC root.
// Usage: SharkBuffers DUMP.hprof   (classpath: com.squareup.leakcanary:shark:2.14 and its dependencies)
// Output, one line per buffer:
//   REACHABLE <TAB> id=ID capacity=N cleaner=0|1 att=0|1 fd=0|1 <TAB> GC root type <TAB> step <TAB> step ...
//     each step: OWNER_CLASS <space> REFERENCE_TYPE <space> OWNING_CLASS.NAME (Shark's LeakTraceReference)
//   UNREACHABLE <TAB> id=ID capacity=N cleaner=0|1 att=0|1 fd=0|1
// Ignored references: java.lang.ref.Reference.referent (as Shark's JdkReferenceMatchers do).
import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import shark.CloseableHeapGraph;
import shark.HeapAnalysis;
import shark.HeapAnalysisFailure;
import shark.HeapAnalysisSuccess;
import shark.HeapAnalyzer;
import shark.HeapField;
import shark.HeapGraph;
import shark.HeapObject;
import shark.HprofHeapGraph;
import shark.HprofRecordTag;
import shark.IgnoredReferenceMatcher;
import shark.Leak;
import shark.LeakTrace;
import shark.LeakTraceObject;
import shark.LeakTraceReference;
import shark.ObjectInspector;
import shark.ReferenceMatcher;
import shark.ReferencePattern;

public class SharkBuffers {
    static final String DIRECT = "java.nio.DirectByteBuffer";

    public static void main(String[] args) throws Exception {
        File file = new File(args[0]);
        List<ReferenceMatcher> matchers = List.of(new IgnoredReferenceMatcher(
                new ReferencePattern.InstanceFieldPattern("java.lang.ref.Reference", "referent")));
        ObjectInspector label = reporter -> {
            HeapObject o = reporter.getHeapObject();
            if (o instanceof HeapObject.HeapInstance && ((HeapObject.HeapInstance) o).instanceOf(DIRECT)) {
                reporter.getLabels().add(describe((HeapObject.HeapInstance) o));
            }
        };
        try (CloseableHeapGraph graph = HprofHeapGraph.Companion.openHeapGraph(file, null,
                EnumSet.range(HprofRecordTag.ROOT_UNKNOWN, HprofRecordTag.ROOT_THREAD_OBJECT))) {  // HotSpot's root kinds
            HeapAnalysis analysis = new HeapAnalyzer(step -> { }).analyze(file, graph, SharkBuffers::buffers, matchers,
                    false, List.of(label), g -> Collections.emptyMap());
            if (analysis instanceof HeapAnalysisFailure) {
                throw new RuntimeException(((HeapAnalysisFailure) analysis).getException());
            }
            HeapAnalysisSuccess ok = (HeapAnalysisSuccess) analysis;
            List<Leak> leaks = new ArrayList<>(ok.getApplicationLeaks());
            leaks.addAll(ok.getLibraryLeaks());
            for (Leak leak : leaks) {
                for (LeakTrace trace : leak.getLeakTraces()) {
                    StringBuilder line = new StringBuilder("REACHABLE\t").append(labelOf(trace.getLeakingObject()))
                            .append('\t').append(trace.getGcRootType().name());
                    for (LeakTraceReference ref : trace.getReferencePath()) {
                        line.append('\t').append(ref.getOriginObject().getClassName()).append(' ')
                                .append(ref.getReferenceType().name()).append(' ')
                                .append(ref.getOwningClassName()).append('.').append(ref.getReferenceName());
                    }
                    System.out.println(line);
                }
            }
            for (LeakTraceObject o : ok.getUnreachableObjects()) {
                System.out.println("UNREACHABLE\t" + labelOf(o));
            }
        }
    }

    static Set<Long> buffers(HeapGraph graph) {
        Set<Long> ids = new HashSet<>();
        for (Iterator<HeapObject.HeapInstance> it = graph.getInstances().iterator(); it.hasNext(); ) {
            HeapObject.HeapInstance i = it.next();
            if (i.instanceOf(DIRECT)) ids.add(i.getObjectId());
        }
        return ids;
    }

    static String describe(HeapObject.HeapInstance b) {
        return "id=" + b.getObjectId() + " capacity=" + field(b, "java.nio.Buffer", "capacity")
                + " cleaner=" + nonNull(b, DIRECT, "cleaner") + " att=" + nonNull(b, DIRECT, "att")
                + " fd=" + nonNull(b, "java.nio.MappedByteBuffer", "fd");
    }

    static String labelOf(LeakTraceObject o) {
        for (String l : o.getLabels()) if (l.startsWith("id=")) return l;
        return "id=? " + o.getClassName();
    }

    static String field(HeapObject.HeapInstance b, String owner, String name) {
        HeapField f = b.get(owner, name);
        return f == null ? "?" : String.valueOf(f.getValue().getAsInt());
    }

    static int nonNull(HeapObject.HeapInstance b, String owner, String name) {
        HeapField f = b.get(owner, name);
        return f == null || f.getValue().isNullReference() ? 0 : 1;
    }
}
