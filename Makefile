# gpf — two commands on a fresh machine:  `make demo`  and  `make test`.
PY        ?= python3
VENV      := .venv
DGL_VENV  := .venv-dgl
CORE_VENV := .venv-core
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.gpf-installed
DGL_STAMP := $(DGL_VENV)/.dgl-installed
CORE_STAMP := $(CORE_VENV)/.gpf-core-installed
DEMO_OUT  ?= demo-out

.PHONY: venv dgl-venv dgl2-venv core-venv lint test test-core test-fast test-dgl2 demo schema bench clean

# Main venv: torch 2.13.0 is pinned first so pip takes the CPU build from local disk.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Oracle venv: real DGL 1.1.3 (DGL 2.x does not import beside torch 2.13).
# torch needs setuptools>=77 and dgl 1.1.3 needs setuptools<70, so torch goes first and
# pip's resolver warning about the installed torch is expected.
$(DGL_STAMP):
	$(PY) -m venv $(DGL_VENV)
	$(DGL_VENV)/bin/pip install -q torch==2.13.0 'numpy<2'
	$(DGL_VENV)/bin/pip install -q dgl==1.1.3 'setuptools<70' packaging 'numpy<2' scipy networkx psutil tqdm requests pydantic || true
	DGLBACKEND=pytorch $(DGL_VENV)/bin/python -c "import dgl, dgl.distributed; assert dgl.__version__ == '1.1.3', dgl.__version__"
	touch $@

# Core-only venv: `pip install gpf` with no extra (no torch, h5py, zarr, PyG, pymetis, Dask, pyarrow),
# plus the test runner. Proves the core install reads, writes, validates and converts (dgl/npy).
$(CORE_STAMP): pyproject.toml
	$(PY) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/pip install -q -e '.[test-core]'
	touch $@

venv: $(STAMP)
dgl-venv: $(DGL_STAMP)
core-venv: $(CORE_STAMP)

## Oracle venv 2: real DGL 2.1.0 (GraphBolt) on torch 2.2.1 from PyPI (~2.5 GB download, 5.2 GB on disk;
## built in ~2 minutes here).  torchdata 0.7.1 pins torch 2.1, so it goes in with --no-deps.
DGL2_VENV  := .venv-dgl2
DGL2_STAMP := $(DGL2_VENV)/.dgl2-installed
$(DGL2_STAMP):
	$(PY) -m venv $(DGL2_VENV)
	$(DGL2_VENV)/bin/pip install -q "torch==2.2.1" "numpy<2"
	$(DGL2_VENV)/bin/pip install -q --no-deps "torchdata==0.7.1"
	$(DGL2_VENV)/bin/pip install -q "dgl==2.1.0" "numpy<2" scipy pandas pyyaml pydantic psutil networkx tqdm requests
	DGLBACKEND=pytorch $(DGL2_VENV)/bin/python -c "import dgl, dgl.graphbolt, dgl.distributed; assert dgl.__version__ == '2.1.0', dgl.__version__"
	touch $@

dgl2-venv: $(DGL2_STAMP)

## Lint (ruff) and type check (mypy: strict on the public API), then the whole suite, both real-DGL
## oracles included (fails loudly if an oracle venv cannot be built), then the
## validator/reader/writer/CLI tests again in the core-only venv.
test: venv dgl-venv dgl2-venv lint
	$(BIN)/pytest -q -n 2
	$(MAKE) test-core

## The core install's tests: tests marked `extra(...)` are deselected (they ran above), nothing is skipped.
CORE_TESTS := tests/test_core_install.py tests/test_inputs_resolution.py tests/test_validate.py \
	tests/test_validate_checks.py tests/test_cli.py tests/test_spec.py tests/test_dgl_codec.py \
	tests/test_reader_oracle.py tests/test_reader_graphbolt.py tests/test_upgrade.py tests/test_aligned.py \
	tests/test_reader_fsspec.py tests/test_convert.py tests/test_writer.py tests/test_graph_io.py \
	tests/test_cli_messages.py
test-core: core-venv dgl-venv
	GPF_TEST_CORE=1 $(CORE_VENV)/bin/pytest -q -n 2 -m "not dgl2" $(CORE_TESTS)

lint: venv
	$(BIN)/ruff check src tests
	$(BIN)/mypy

## Only the DGL 2.1 (GraphBolt, partition options) oracle tests.
test-dgl2: venv dgl2-venv
	$(BIN)/pytest -q -n 2 -m dgl2

## Without the oracle (quick local loop; CI always runs `make test`).
test-fast: venv lint
	$(BIN)/pytest -q -m "not oracle and not dgl2"

## Main job on the bundled Cora dataset, end to end.
demo: venv dgl-venv
	$(BIN)/python examples/demo_cora.py --out $(DEMO_OUT)
	$(BIN)/python examples/cluster_gcn.py

schema: venv
	$(BIN)/gpf schema --out spec/gpf.schema.json

bench: venv dgl-venv
	$(BIN)/python benchmarks/bench_read.py

clean:
	rm -rf $(DEMO_OUT) .cache .pytest_cache
