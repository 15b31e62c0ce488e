# codecflow — the README's two commands are `make demo` and `make test`.
# Both install what a fresh machine lacks (tools/bootstrap.sh) and build the
# core and the extension module in place (build/dev), so that
# PYTHONPATH=python imports the fresh build.

SHELL := /bin/bash
BUILD_DIR ?= build/dev
CMAKE_ARGS ?=
JOBS ?= $(shell nproc)
PYTEST_ARGS ?=
NUMPY_PYTEST_ARGS ?=

.PHONY: all deps build media test test-cpp test-python test-numpy demo bench bench-full clean \
	package-check wheel wheel-check fuzz test-asan soak

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

# The NumPy-only suite (tests/numpy) in a second virtual environment, without
# torch, from the wheel package-check builds (tools/numpy_check.sh).
test-numpy: deps media
	tools/numpy_check.sh $(PY) $(NUMPY_PYTEST_ARGS)

test: test-cpp test-python test-numpy

demo: build
	PYTHONPATH=python $(PY) examples/demo.py

# ---- Reliability (docs/reliability.md) ----------------------------------------
# `make fuzz` builds the libFuzzer harnesses (clang-14; installed when
# missing) and runs each for FUZZ_SECONDS; it fails on any crash.
FUZZ_SECONDS ?= 60
fuzz: media
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) tools/fuzz.sh $(PY) $(FUZZ_HARNESSES)

# The C++ and Python suites against an ASan+UBSan build (build/asan).
test-asan: media
	JOBS=$(JOBS) tools/asan.sh $(PY) $(PYTEST_ARGS)

# The soak tests with many more cycles (SOAK_CYCLES per entry point).
SOAK_CYCLES ?= 2000
soak: build media
	CODECFLOW_SOAK_CYCLES=$(SOAK_CYCLES) PYTHONPATH=python $(PY) -m pytest tests/python/test_soak.py -q $(PYTEST_ARGS)

clean:
	rm -rf build python/codecflow/_core*.so

# Builds and installs the wheel as `pip install .` would, and decodes with
# the installed package from outside the source tree.
package-check: deps
	tools/package_check.sh $(PY)

# Self-contained wheels (docs/install.md): FFmpeg and what it loads inside,
# repaired with auditwheel, one per Python 3.9-3.13 found here (WHEEL_VERSIONS
# picks, e.g. WHEEL_VERSIONS=3.11), into build/wheelhouse. deps installs
# FFmpeg's development packages they are built against.
wheel: deps
	WHEEL_VERSIONS="$(WHEEL_VERSIONS)" tools/build_wheels.sh

# The cp311 wheel installed and used in a minimal Debian root without FFmpeg
# or a compiler (debootstrap, cached in ~/.cache/codecflow; needs root).
wheel-check: deps
	WHEEL_VERSIONS=3.11 tools/build_wheels.sh > /dev/null
	tools/wheel_check.sh

# ---- GPU machines ------------------------------------------------------------
# `make gpu-kit` (here, with the full ffmpeg CLI) writes build/gpu-kit: the
# clips and CLI references the GPU suites need, and GoogleTest's sources
# (tools/gpu/make_kit.py). Copy it to the GPU machine with the source tree.
#
# `make gpu-test` builds with CUDA (required) against the FFmpeg that
# PKG_CONFIG_PATH points at (tools/gpu/build_ffmpeg.sh makes one) and runs the
# CUDA tests: the C++ ones (GoogleTest installed, or built from the kit's
# sources; configuring fails without either) and the Python GPU suites. It
# installs nothing: PYTHON (default python3) must have torch (with CUDA),
# numpy and pytest; pybind11 comes from its package or from torch; cmake and
# ninja from that interpreter's bin/ or PATH. Media come from CODECFLOW_GPU_KIT
# (default build/gpu-kit when it exists), else CODECFLOW_MEDIA_DIR or
# tests/media/cache. See tools/gpu/README.md.
GPU_BUILD_DIR ?= build/gpu
GPU_KIT ?= $(if $(CODECFLOW_GPU_KIT),$(CODECFLOW_GPU_KIT),$(CURDIR)/build/gpu-kit)
.PHONY: gpu-kit gpu-test
gpu-kit: deps
	$(PY) tools/gpu/make_kit.py $(GPU_KIT)

gpu-test:
	@set -e; PY=$${PYTHON:-python3}; BIN=$$(dirname $$(command -v $$PY)); \
	CMAKE=$$([ -x $$BIN/cmake ] && echo $$BIN/cmake || echo cmake); \
	GEN=$$([ -x $$BIN/ninja ] && echo "-G Ninja -DCMAKE_MAKE_PROGRAM=$$BIN/ninja" || true); \
	KIT=$(GPU_KIT); GTEST_SRC=$$([ -f $$KIT/googletest/CMakeLists.txt ] && echo $$KIT/googletest || true); \
	PYBIND=$$($$PY -c "import pybind11; print('-Dpybind11_DIR=' + pybind11.get_cmake_dir())" 2>/dev/null || true); \
	LIBDIR=$$(pkg-config --variable=libdir libavcodec); \
	echo "gpu-test: FFmpeg $$(pkg-config --modversion libavcodec) from $$LIBDIR, kit $$([ -d $$KIT/media ] && echo $$KIT || echo none)"; \
	$$CMAKE -S . -B $(GPU_BUILD_DIR) $$GEN -DCMAKE_BUILD_TYPE=Release -DCODECFLOW_CUDA=ON \
	  -DCODECFLOW_BUILD_TESTS=ON -DCODECFLOW_GTEST_SOURCE=$$GTEST_SRC \
	  -DPython_EXECUTABLE=$$(command -v $$PY) -DCMAKE_BUILD_RPATH=$$LIBDIR $$PYBIND; \
	$$CMAKE --build $(GPU_BUILD_DIR) -j $(JOBS); \
	export LD_LIBRARY_PATH=$$LIBDIR$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}; \
	if [ -d $$KIT/media ]; then export CODECFLOW_GPU_KIT=$$KIT CODECFLOW_MEDIA_DIR=$$KIT/media; \
	else export CODECFLOW_MEDIA_DIR=$${CODECFLOW_MEDIA_DIR:-$$PWD/tests/media/cache}; fi; \
	$(GPU_BUILD_DIR)/codecflow_tests --gtest_filter='YuvRgb*:Cuda*:HwFallback*:DeviceBackendTest.Hardware*'; \
	$$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'torch sees no GPU')"; \
	PYTHONPATH=python $$PY -m pytest tests/python/test_cuda*.py -q -rs -p no:cacheprovider $(PYTEST_ARGS)

# Benchmarks against the peer libraries (never part of `make test`); see
# docs/performance.md. bench/setup_peers.sh makes .peers/venv (torch pinned,
# the peers, matplotlib); codecflow comes from the build above, via python/.
bench: build
	@bench/setup_peers.sh > /dev/null
	.peers/venv/bin/python bench/run.py --quick

bench-full: build
	@bench/setup_peers.sh > /dev/null
	.peers/venv/bin/python bench/run.py --full
