# codecflow — the README's two commands are `make demo` and `make test`.
# Both install what a fresh machine lacks (tools/bootstrap.sh) and build the
# core and the extension module in place (build/dev), so that
# PYTHONPATH=python imports the fresh build.

SHELL := /bin/bash
BUILD_DIR ?= build/dev
CMAKE_ARGS ?=
JOBS ?= $(shell nproc)
PYTEST_ARGS ?=

.PHONY: all deps build media test test-cpp test-python demo bench bench-full clean package-check

all: build

# Resolves the interpreter once per make run (bootstrap prints it last).
PY = $(shell tail -n 1 $(BUILD_DIR)/.python 2>/dev/null)

deps:
	@mkdir -p $(BUILD_DIR)
	@tools/bootstrap.sh > $(BUILD_DIR)/.python

build: deps
	@PY=$$(tail -n 1 $(BUILD_DIR)/.python); BIN=$$(dirname $$PY); \
	CMAKE=$$([ -x $$BIN/cmake ] && echo $$BIN/cmake || echo cmake); \
	GEN=$$([ -x $$BIN/ninja ] && echo "-G Ninja -DCMAKE_MAKE_PROGRAM=$$BIN/ninja" || true); \
	$$CMAKE -S . -B $(BUILD_DIR) $$GEN -DCMAKE_BUILD_TYPE=Release \
	  -DCODECFLOW_BUILD_TESTS=ON -DPython_EXECUTABLE=$$PY \
	  -Dpybind11_DIR=$$($$PY -c "import pybind11; print(pybind11.get_cmake_dir())") \
	  $(CMAKE_ARGS) > $(BUILD_DIR)/configure.log \
	  || { cat $(BUILD_DIR)/configure.log; exit 1; }; \
	$$CMAKE --build $(BUILD_DIR) -j $(JOBS)

media: deps
	$(PY) tests/media/generate.py

test-cpp: build media
	@BIN=$$(dirname $(PY)); CTEST=$$([ -x $$BIN/ctest ] && echo $$BIN/ctest || echo ctest); \
	$$CTEST --test-dir $(BUILD_DIR) --output-on-failure

test-python: build media
	PYTHONPATH=python $(PY) -m pytest tests/python -q $(PYTEST_ARGS)

test: test-cpp test-python

demo: build
	PYTHONPATH=python $(PY) examples/demo.py

clean:
	rm -rf build python/codecflow/_core*.so

# Builds and installs the wheel as `pip install .` would, and decodes with
# the installed package from outside the source tree.
package-check: deps
	tools/package_check.sh $(PY)
