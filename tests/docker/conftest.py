import pytest

from tests.docker.engine import engine, engines_answering, left_behind


@pytest.fixture(scope="module")
def client():
    return engine()


@pytest.fixture(autouse=True)
def no_container_left(request):
    """Every docker test leaves no container or volume of this process behind, on any engine of the session."""
    yield
    if request.node.get_closest_marker("docker") is None:
        return
    for url, client in engines_answering():
        containers, volumes = left_behind(client)
        assert (containers, volumes) == ([], []), f"left behind on {url}: {[c.name for c in containers]}, {volumes}"
