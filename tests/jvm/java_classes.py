"""Small Java main classes the tests compile (javac --release 11) to put on a run's classpath."""

import shutil
import subprocess
import textwrap
from pathlib import Path

HAS_JAVAC = shutil.which("javac") is not None

LEAK = textwrap.dedent("""
    import java.nio.ByteBuffer;
    import java.util.ArrayList;
    public class Leak {
        public static void main(String[] args) {
            ArrayList<ByteBuffer> keep = new ArrayList<>();
            for (int i = 0; i < Integer.parseInt(args[0]); i++) keep.add(ByteBuffer.allocateDirect(1 << 20));
            System.out.println("held " + keep.size());
        }
    }
""")


def compile_leak(tmp_path: Path) -> Path:
    """`Leak N` holds N direct buffers of 1 MiB and prints "held N"; returns the classes directory."""
    src = tmp_path / "src" / "Leak.java"
    src.parent.mkdir(parents=True)
    src.write_text(LEAK)
    classes = tmp_path / "classes"
    subprocess.run(["javac", "--release", "11", "-d", str(classes), str(src)], check=True)
    return classes
