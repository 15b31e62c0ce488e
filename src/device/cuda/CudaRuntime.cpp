#include "device/cuda/CudaRuntime.h"

#include <cuda.h>
#include <cuda_runtime_api.h>

#include <pthread.h>

#include <atomic>
#include <map>
#include <mutex>

namespace codecflow::cuda {

namespace {

std::atomic<bool> gUsed{false};    // a CUDA call was made in this process
std::atomic<bool> gForked{false};  // a child forked after one

void markUsed() { gUsed.store(true); }

std::atomic<int64_t> gDeviceToHostCopies{0};  // for tests: copies to the host

}  // namespace

bool forkedAfterCudaUse() { return gForked.load(); }

std::string errorText(int code) {
  auto error = static_cast<cudaError_t>(code);
  return std::string(cudaGetErrorName(error)) + ": " + cudaGetErrorString(error);
}

namespace {
std::string versionText(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}
}  // namespace

std::string versions() {
  int driver = 0;
  int runtime = 0;
  std::string text = "CUDA driver ";
  text += cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0
              ? versionText(driver)
              : "none (no driver)";
  text += ", runtime ";
  text += cudaRuntimeGetVersion(&runtime) == cudaSuccess ? versionText(runtime) : "unknown";
  return text;
}

int deviceCount(int& count) {
  count = 0;
  markUsed();
  return cudaGetDeviceCount(&count);
}

int allocate(void** pointer, size_t bytes) { return cudaMalloc(pointer, bytes); }

int release(void* pointer) { return cudaFree(pointer); }

int copyHostToDevice(void* dst, const void* src, size_t bytes) {
  return cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
}

int copyDeviceToDevice(void* dst, const void* src, size_t bytes) {
  return cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);
}

void countDeviceToHostCopy() { gDeviceToHostCopies.fetch_add(1); }
int64_t deviceToHostCopies() { return gDeviceToHostCopies.load(); }

int copyDeviceToHost(void* dst, const void* src, size_t bytes) {
  countDeviceToHostCopy();
  return cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost);
}

int copy2D(void* dst, size_t dstPitch, const void* src, size_t srcPitch, size_t widthBytes,
           size_t rows) {
  return cudaMemcpy2D(dst, dstPitch, src, srcPitch, widthBytes, rows, cudaMemcpyDeviceToDevice);
}

int copy2DToHost(void* dst, size_t dstPitch, const void* src, size_t srcPitch, size_t widthBytes,
                 size_t rows) {
  countDeviceToHostCopy();
  return cudaMemcpy2D(dst, dstPitch, src, srcPitch, widthBytes, rows, cudaMemcpyDeviceToHost);
}

int synchronize() { return cudaStreamSynchronize(cudaStreamLegacy); }

namespace {

// A driver function by name, as of the CUDA 12 ABI; nullptr without a driver.
template <typename F>
F driverFunction(const char* name) {
  void* function = nullptr;
  cudaDriverEntryPointQueryResult status{};
  if (cudaGetDriverEntryPointByVersion(name, &function, 12000, cudaEnableDefault, &status) !=
          cudaSuccess ||
      status != cudaDriverEntryPointSuccess) {
    return nullptr;
  }
  return reinterpret_cast<F>(function);
}

struct Driver {
  decltype(&cuInit) init = driverFunction<decltype(&cuInit)>("cuInit");
  decltype(&cuDeviceGet) deviceGet = driverFunction<decltype(&cuDeviceGet)>("cuDeviceGet");
  decltype(&cuDevicePrimaryCtxRetain) retain =
      driverFunction<decltype(&cuDevicePrimaryCtxRetain)>("cuDevicePrimaryCtxRetain");
  decltype(&cuCtxGetCurrent) current = driverFunction<decltype(&cuCtxGetCurrent)>("cuCtxGetCurrent");
  decltype(&cuCtxPushCurrent) push = driverFunction<decltype(&cuCtxPushCurrent)>("cuCtxPushCurrent");
  decltype(&cuCtxPopCurrent) pop = driverFunction<decltype(&cuCtxPopCurrent)>("cuCtxPopCurrent");
  decltype(&cuGetErrorString) errorString =
      driverFunction<decltype(&cuGetErrorString)>("cuGetErrorString");
  bool complete() const {
    return init && deviceGet && retain && current && push && pop && errorString;
  }
};

const Driver& driver() {
  static const Driver* d = new Driver();  // leaked: used until process exit
  return *d;
}

std::string driverErrorText(const char* call, CUresult rc) {
  const char* text = nullptr;
  driver().errorString(rc, &text);
  return std::string(call) + " failed: " + (text != nullptr ? text : "unknown error") +
         " (CUresult " + std::to_string(static_cast<int>(rc)) + ")";
}

struct Contexts {
  std::mutex mutex;
  std::map<int, CUcontext> retained;  // never released: kept for the process
};
Contexts* gContexts = new Contexts();

// In a child forked after CUDA use: the inherited retained contexts (and
// their mutex, perhaps held by a thread the fork did not copy) are leaked,
// never released, and everything after says spawn workers are needed.
void dropInheritedState() {
  if (gUsed.load()) {
    gForked.store(true);
    gContexts = new Contexts();
  }
}

const bool gForkHandler = pthread_atfork(nullptr, nullptr, dropInheritedState) == 0;

}  // namespace

void* primaryContext(int index, std::string& error) {
  markUsed();
  const Driver& d = driver();
  if (!d.complete()) {
    error = "the CUDA driver (libcuda.so.1) is not available";
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(gContexts->mutex);
  auto it = gContexts->retained.find(index);
  if (it != gContexts->retained.end()) {
    return it->second;
  }
  CUresult rc = d.init(0);
  if (rc != CUDA_SUCCESS) {
    error = driverErrorText("cuInit", rc);
    return nullptr;
  }
  CUdevice device = 0;
  rc = d.deviceGet(&device, index);
  if (rc != CUDA_SUCCESS) {
    error = driverErrorText("cuDeviceGet", rc);
    return nullptr;
  }
  CUcontext context = nullptr;
  rc = d.retain(&context, device);
  if (rc != CUDA_SUCCESS) {
    error = driverErrorText("cuDevicePrimaryCtxRetain", rc);
    return nullptr;
  }
  gContexts->retained.emplace(index, context);
  return context;
}

int currentContext(void** context) {
  *context = nullptr;
  const Driver& d = driver();
  if (!d.complete()) {
    return -1;
  }
  CUcontext current = nullptr;
  int rc = d.current(&current);
  *context = current;
  return rc;
}

int pushContext(void* context) {
  const Driver& d = driver();
  return d.complete() ? d.push(static_cast<CUcontext>(context)) : -1;
}

int popContext() {
  const Driver& d = driver();
  CUcontext popped = nullptr;
  return d.complete() ? d.pop(&popped) : -1;
}

}  // namespace codecflow::cuda
