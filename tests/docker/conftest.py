import pytest

from tests.docker.engine import engine, left_behind


@pytest.fixture(scope="module")
def client():
    return engine()


@pytest.fixture(autouse=True)
def no_container_left(request):
    """Every docker test leaves no container or volume of this process behind."""
    yield
    if request.node.get_closest_marker("docker") is None:
        return
    containers, volumes = left_behind(engine())
    assert (containers, volumes) == ([], []), f"left behind: {[c.name for c in containers]}, {volumes}"
