# The extension module with pybind11: the installed package's CMake config
# when there is one, else the pybind11 headers torch ships in
# torch/include/pybind11 (a GPU machine with torch but no package registry).
find_package(pybind11 CONFIG QUIET)
if(NOT pybind11_FOUND)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c
            "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'include'))"
    RESULT_VARIABLE _codecflow_rc OUTPUT_VARIABLE CODECFLOW_TORCH_INCLUDE ERROR_QUIET
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _codecflow_rc EQUAL 0 OR NOT EXISTS "${CODECFLOW_TORCH_INCLUDE}/pybind11/pybind11.h")
    message(FATAL_ERROR "codecflow: pybind11 not found: install it (pip install pybind11, "
            "then -Dpybind11_DIR=$(python -c 'import pybind11; print(pybind11.get_cmake_dir())')) "
            "or use a Python (${Python_EXECUTABLE}) whose torch ships torch/include/pybind11")
  endif()
  message(STATUS "codecflow: pybind11 from torch (${CODECFLOW_TORCH_INCLUDE}/pybind11)")
endif()

function(codecflow_add_python_module name)
  if(pybind11_FOUND)
    pybind11_add_module(${name} ${ARGN})
    return()
  endif()
  Python_add_library(${name} MODULE WITH_SOABI ${ARGN})
  # Only pybind11's own directory: torch/include holds other projects' headers.
  set(headers "${CMAKE_BINARY_DIR}/torch-pybind11")
  file(MAKE_DIRECTORY "${headers}")
  file(CREATE_LINK "${CODECFLOW_TORCH_INCLUDE}/pybind11" "${headers}/pybind11" SYMBOLIC)
  target_include_directories(${name} SYSTEM PRIVATE "${headers}")
  set_target_properties(${name} PROPERTIES CXX_VISIBILITY_PRESET hidden
                                           VISIBILITY_INLINES_HIDDEN ON)
endfunction()
