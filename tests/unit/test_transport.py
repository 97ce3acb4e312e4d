"""The bind-or-copy decision for container inputs, and the archive a copy sends (no engine needed)."""

import io
import os
import tarfile

import pytest

from pytest_directmem.backends.transport import (CACHE_ROOT, Input, archive, can_read, content_digest, plan_inputs,
                                                 unreadable_part)

UID, GID = 1000, 1000  # the runtime image's user; the files below belong to whoever runs the tests


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "t"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    (root / "top.py").write_text("Y = 2\n")
    os.chmod(root, 0o755)
    os.chmod(root / "pkg", 0o755)
    return root


def other_uid():
    return 0 if os.getuid() != 0 else UID  # a uid that is not the owner, for the bit checks below


def test_mode_bits_decide_for_owner_group_and_others(tree):
    st = os.stat(tree / "top.py")
    os.chmod(tree / "top.py", 0o600)
    st = os.stat(tree / "top.py")
    assert can_read(st, st.st_uid, st.st_gid, need_exec=False)
    assert not can_read(st, st.st_uid + 4242, st.st_gid + 4242, need_exec=False)
    assert can_read(st, 0, 0, need_exec=False)  # root reads anything
    os.chmod(tree / "top.py", 0o604)
    assert can_read(os.stat(tree / "top.py"), st.st_uid + 4242, st.st_gid + 4242, need_exec=False)
    os.chmod(tree, 0o744)  # readable but not enterable
    assert not can_read(os.stat(tree), st.st_uid + 4242, st.st_gid + 4242, need_exec=True)


def test_a_world_readable_tree_is_bound_and_a_0700_one_copied(tree):
    st = os.stat(tree)
    stranger = (st.st_uid + 4242, st.st_gid + 4242)
    inputs = [Input(str(tree), "/directmem/py/0", python=True), Input(str(tree / "top.py"), "/directmem/cp/0/top.py")]
    placed = plan_inputs(inputs, *stranger)
    assert [p.copy for p in placed] == [False, False] and placed[0].target == "/directmem/py/0"
    os.chmod(tree, 0o700)
    os.chmod(tree / "top.py", 0o600)
    placed = plan_inputs(inputs, *stranger)
    assert [p.copy for p in placed] == [True, True]
    assert placed[0].target == f"{CACHE_ROOT}/{placed[0].digest}/0" and str(tree) in placed[0].reason
    assert all(not p.copy for p in plan_inputs(inputs, st.st_uid, st.st_gid))  # the owner reads its own
    assert all(p.copy for p in plan_inputs(inputs, st.st_uid, st.st_gid, copy_all=True))


def test_a_private_child_makes_its_parent_a_copy_but_deep_levels_are_not_walked(tree):
    st = os.stat(tree)
    stranger = (st.st_uid + 4242, st.st_gid + 4242)
    os.chmod(tree / "pkg", 0o700)
    assert unreadable_part(tree, *stranger) == str(tree / "pkg")
    os.chmod(tree / "pkg", 0o755)
    os.chmod(tree / "pkg" / "mod.py", 0o600)  # two levels down: not looked at (bounded walk)
    assert unreadable_part(tree, *stranger) is None
    assert unreadable_part(tree, *stranger, depth=2) == str(tree / "pkg" / "mod.py")
    assert unreadable_part(tree / "missing", *stranger) == str(tree / "missing")


def test_the_archive_holds_the_copied_files_under_their_tops(tree):
    (tree / ".git").mkdir()
    (tree / ".git" / "HEAD").write_text("x")
    (tree / "venv").mkdir()
    (tree / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tree / "pkg" / "__pycache__").mkdir()
    (tree / "pkg" / "__pycache__" / "mod.pyc").write_bytes(b"\0")
    py, top = Input(str(tree), "/directmem/py/0", python=True), Input(str(tree / "top.py"), "/cp/top.py")
    with tarfile.open(fileobj=io.BytesIO(archive([(py, "d1.part/0"), (top, "d2.part/top.py")], UID, GID))) as tf:
        members = {m.name: m for m in tf.getmembers()}
        assert tf.extractfile(members["d1.part/0/pkg/mod.py"]).read() == b"X = 1\n"
        assert tf.extractfile(members["d2.part/top.py"]).read() == b"Y = 2\n"
    assert {"d1.part", "d1.part/0", "d1.part/0/pkg", "d2.part"} <= set(members)
    assert not [n for n in members if ".git" in n or "venv" in n or "__pycache__" in n]
    assert all(m.uid == UID and m.gid == GID for m in members.values())
    assert all(m.mode == (0o755 if m.isdir() else 0o644) for m in members.values())


def test_a_copy_lands_in_a_directory_named_by_its_content_and_leaf(tree):
    py = Input(str(tree), "/directmem/py/0", python=True)
    first = content_digest(py)
    (tree / "pkg" / "__pycache__").mkdir()  # not copied: not part of the content
    (tree / "pkg" / "__pycache__" / "mod.pyc").write_bytes(b"\0")
    assert content_digest(py) == first
    assert content_digest(Input(str(tree), "/directmem/py/1", python=True)) != first  # another leaf
    (tree / "pkg" / "mod.py").write_text("X = 2\n")  # same size, new bytes
    assert content_digest(py) != first
    copy = tree.parent / "copy"
    import shutil

    shutil.copytree(tree, copy)
    assert content_digest(Input(str(copy), "/directmem/py/0", python=True)) == content_digest(py)  # content, not path
    placed = plan_inputs([py], UID, GID, copy_all=True)
    assert placed[0].target == f"{CACHE_ROOT}/{content_digest(py)}/0" and placed[0].digest == content_digest(py)
