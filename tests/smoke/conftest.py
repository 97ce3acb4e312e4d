"""The smoke suite runs against an INSTALLED wheel, from a directory outside the checkout (.ci/smoke.sh).

It imports nothing from the checkout's tests package. Run inside the checkout it skips, so that the
normal suite does not mistake the editable install for the product.
"""

import os
import sys
from pathlib import Path

import pytest

import pytest_directmem


def pytest_collection_modifyitems(config, items):
    here = os.path.realpath(pytest_directmem.__file__)
    if os.environ.get("DIRECTMEM_SMOKE") != "1" or not here.startswith(os.path.realpath(sys.prefix)):
        skip = pytest.mark.skip(reason="smoke suite: run by .ci/smoke.sh against an installed wheel")
        for item in items:
            if Path(str(item.fspath)).parent == Path(__file__).parent:
                item.add_marker(skip)
