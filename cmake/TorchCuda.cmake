# The CUDA major version of the build against torch's (docs/cuda.md,
# "Building for a GPU machine"). codecflow links the CUDA runtime statically
# from the toolkit nvcc belongs to; that runtime needs a driver of at least
# its major version, and torch's wheels carry their own runtime of the major
# they were built for (cu12x, cu13x). A toolkit whose major differs from
# torch's makes a module that fails ("CUDA driver version is insufficient")
# on machines where torch works, or the reverse: configuring stops, naming
# both, when CODECFLOW_CUDA=ON, and builds without CUDA with a warning under
# AUTO. CODECFLOW_CUDA_IGNORE_TORCH=ON builds for the toolkit's major
# anyway (a driver of that major must then be installed).
option(CODECFLOW_CUDA_IGNORE_TORCH "Build CUDA whatever CUDA major torch was built for" OFF)
set(CODECFLOW_TORCH_PYTHON "" CACHE FILEPATH
    "The Python whose torch the CUDA major must match (default: Python_EXECUTABLE)")

function(codecflow_check_torch_cuda)
  set(toolkit_major "${CUDAToolkit_VERSION_MAJOR}")
  set(python "${CODECFLOW_TORCH_PYTHON}")
  if(NOT python)
    set(python "${Python_EXECUTABLE}")
  endif()
  if(NOT python)
    find_program(python NAMES python3 python)
  endif()
  set(torch_cuda "")
  if(python)
    execute_process(
      COMMAND "${python}" -c "import torch; print(torch.version.cuda or 'none')"
      RESULT_VARIABLE rc OUTPUT_VARIABLE torch_cuda ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      set(torch_cuda "")
    endif()
  endif()
  if(torch_cuda STREQUAL "")
    message(STATUS "codecflow: no torch found by ${python}; CUDA ${CUDAToolkit_VERSION} "
                   "(runtime linked statically: needs a driver for CUDA ${toolkit_major})")
    return()
  endif()
  if(torch_cuda STREQUAL "none")
    message(STATUS "codecflow: torch is a CPU build; CUDA ${CUDAToolkit_VERSION} "
                   "(runtime linked statically: needs a driver for CUDA ${toolkit_major})")
    return()
  endif()
  string(REGEX MATCH "^[0-9]+" torch_major "${torch_cuda}")
  if(torch_major STREQUAL toolkit_major)
    message(STATUS "codecflow: CUDA ${CUDAToolkit_VERSION} matches torch's CUDA ${torch_cuda}")
    return()
  endif()
  string(CONCAT what "the CUDA toolkit found (${CUDAToolkit_VERSION}, nvcc ${CMAKE_CUDA_COMPILER}) is "
           "CUDA ${toolkit_major} but torch (${python}) was built for CUDA ${torch_cuda}: "
           "a module built so fails where torch works. Point CMAKE_CUDA_COMPILER (and "
           "CUDAToolkit_ROOT) at a CUDA ${torch_major} toolkit, e.g. "
           "-DCMAKE_CUDA_COMPILER=/usr/local/cuda-${torch_major}/bin/nvcc, or pass "
           "-DCODECFLOW_CUDA_IGNORE_TORCH=ON to build for CUDA ${toolkit_major} anyway")
  if(CODECFLOW_CUDA_IGNORE_TORCH)
    message(WARNING "codecflow: ${what} (CODECFLOW_CUDA_IGNORE_TORCH=ON: building for CUDA "
                    "${toolkit_major})")
  elseif(CODECFLOW_CUDA STREQUAL "ON")
    message(FATAL_ERROR "codecflow: ${what}")
  else()
    message(WARNING "codecflow: ${what}. CODECFLOW_CUDA=AUTO: building without CUDA")
    set(CODECFLOW_WITH_CUDA OFF PARENT_SCOPE)
  endif()
endfunction()
