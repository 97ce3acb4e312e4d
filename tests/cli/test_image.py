"""`directmem image ...` against the real engine."""

import subprocess
import sys

import pytest

from pytest_directmem.backends.images import image_tag


def directmem(*args):
    return subprocess.run([sys.executable, "-m", "pytest_directmem.cli", *args], capture_output=True, text=True,
                          timeout=900)


@pytest.mark.docker
@pytest.mark.slow
def test_image_build_prints_the_tag_and_list_shows_it():
    built = directmem("image", "build", "--jdk", "17")
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip() == image_tag(17)
    assert "runtime image for JDK 17" in built.stderr
    listed = directmem("image", "list")
    assert listed.returncode == 0 and image_tag(17) in listed.stdout


def test_image_build_without_engine_exits_3(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    result = directmem("image", "build", "--jdk", "17")
    assert result.returncode == 3 and "no Docker engine answers" in result.stderr


def test_image_build_rejects_unknown_major():
    result = directmem("image", "build", "--jdk", "8")
    assert result.returncode == 2 and "'8' is not one of" in result.stderr
