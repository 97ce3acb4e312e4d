#!/bin/sh
# Build a wheel of this checkout, install it into a fresh venv OUTSIDE the checkout, and run the smoke
# suite (tests/smoke) there: the README example, an incident against its pins, a Netty scenario, a docker
# run, `directmem doctor`. Usage: .ci/smoke.sh   (PYTHON=python3.11 to choose the interpreter)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
BUILD_PY=${BUILD_PY:-$ROOT/.venv/bin/python}   # a python with the checkout installed (make setup)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/directmem-smoke-XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

echo "smoke: building the jars the wheel ships (they are build outputs, not in git)"
"$BUILD_PY" -c 'from pytest_directmem.jars import fixtures_jar; from pytest_directmem.frameworks.netty import scenario_jar; from pytest_directmem.frameworks import okhttp; print(fixtures_jar()); print(scenario_jar()); print(okhttp.scenario_jar())'

echo "smoke: building the wheel (isolated build: setuptools from the index)"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip wheel --no-deps --quiet --disable-pip-version-check -w "$WORK/dist" "$ROOT"
WHEEL=$(ls "$WORK"/dist/pytest_directmem-*.whl)
for f in pytest_directmem/_fixtures/directmem-fixtures.jar pytest_directmem/_fixtures/directmem-netty.jar \
         pytest_directmem/_fixtures/directmem-okhttp.jar \
         pytest_directmem/incidents/expected.json; do
    "$PY" -c "import sys, zipfile; sys.exit(0 if '$f' in zipfile.ZipFile('$WHEEL').namelist() else 1)" \
        || { echo "smoke: $f is not in $WHEEL"; exit 1; }
done

echo "smoke: installing $WHEEL into the fresh venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL"

mkdir "$WORK/suite"
cp "$ROOT"/tests/smoke/*.py "$WORK/suite/"
cd "$WORK/suite"
echo "smoke: running the smoke suite in $WORK/suite"
DIRECTMEM_SMOKE=1 "$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider -o addopts= --rootdir "$WORK/suite" \
    -p pytester "$WORK/suite"
