# Sourced by tools/bootstrap.sh and bench/setup_peers.sh: the torch pin and
# the checks that an environment still honours it. The caller sets PY (the
# interpreter) and defines log().
TORCH_VERSION=2.13.0

# True when $PY has torch==$TORCH_VERSION.
torch_ok() {
  "$PY" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" \
    2>/dev/null
}

# Exits non-zero when a pip call replaced torch or pulled in CUDA packages.
check_torch_intact() {
  if ! torch_ok; then
    log "ERROR: pip replaced torch==$TORCH_VERSION; check tools/constraints.txt"
    exit 1
  fi
  if "$PY" -m pip list 2>/dev/null | grep -qi '^nvidia-'; then
    log "ERROR: CUDA packages (nvidia-*) were installed; torch must be the CPU build"
    exit 1
  fi
}
