"""The package's shape: no import circle, no module over 400 lines, only the artifacts module (and the
writers: the worker, the Java runner) names the files of an artifacts directory."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "pytest_directmem"
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = p.relative_to(PKG.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> modules of the package it imports (anywhere in the module, lazy imports included;
    `if TYPE_CHECKING:` blocks excluded: they never run)."""
    mods = _modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        tree = ast.parse(path.read_text())
        skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                for n in ast.walk(node)}
        base = m.split(".") if path.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.ImportFrom):
                target = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else (node.module or "")
                subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in mods]
                names = subs if len(subs) == len(node.names) else [target, *subs]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            edges[m] |= {n for n in names if n in mods and n != m}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_no_import_circle():
    assert cycles(import_graph()) == []


def test_the_check_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_over_400_lines():
    long = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_only_the_artifacts_module_names_the_run_files():
    writers = {"artifacts.py"}  # the worker and the Java runner get the names from it (or from the spec)
    pattern = re.compile(r"""["'/](spec\.json|journal\.jsonl|status\.json|samples\.csv)["']""")
    named = sorted(str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
                   if p.name not in writers and pattern.search(p.read_text()))
    assert named == []


def test_every_environment_variable_is_read_in_one_place_and_documented():
    from pytest_directmem.config import OPTIONS
    from pytest_directmem.environment import ENV_VARS, environment

    readme = (PKG.parent / "README.md").read_text()
    names = [name for name, _ in ENV_VARS] + [o.env for o in OPTIONS if o.session] + ["JAVA_HOME", "DOCKER_HOST"]
    assert [n for n in names if f"`{n}" not in readme] == []
    readers = sorted(str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if "os.environ.get(" in p.read_text())
    assert readers == ["backends/local.py", "worker/main.py"]  # PYTHONPATH for the child; the parent's pid
    env = environment({"DIRECTMEM_CACHE": "~/x", "DIRECTMEM_CDS": "0", "DIRECTMEM_REQUIRE_DOCKER": "1"})
    assert env.cache.name == "x" and not env.cds and env.require_docker


def _layout_names() -> set[str]:
    """Module paths (relative to the package) the README's Layout tree names: indent 2 = the package's own
    modules and sub-packages ("backends/"), indent 4 = a sub-package's modules (comma lists allowed)."""
    readme = (PKG.parent / "README.md").read_text()
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    lines = section.split("```", 2)[1].splitlines()[2:]  # after "```" and "pytest_directmem/"
    names, parent = set(), ""
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0 and line.strip():
            break
        words = line.strip().split("  ")[0]
        if indent == 2:
            parent = words if words.endswith("/") else ""
            names.add(words)
        elif indent == 4:
            names |= {parent + w.strip() for w in words.split(",")}
    return names


def test_the_readme_layout_is_the_tree():
    tree = {p.parent.name + "/" if p.name == "__init__.py" and p.parent != PKG else
            str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if p.name not in ("__main__.py",)
            and not (p.name == "__init__.py" and p.parent == PKG) and "_fixtures" not in p.parts}
    tree = {t for t in tree if not t.endswith("/__init__.py")} | {"__init__.py"}
    assert _layout_names() == tree
