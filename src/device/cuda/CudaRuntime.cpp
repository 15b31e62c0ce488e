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

namespace {
// Waits for codecflow's stream of the device `pointer` lives on (nothing
// when it has none yet).
int finishStreamOf(const void* pointer);
}  // namespace

int copyHostToDevice(void* dst, const void* src, size_t bytes) {
  int rc = finishStreamOf(dst);
  return rc != 0 ? rc : cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
}

void countDeviceToHostCopy() { gDeviceToHostCopies.fetch_add(1); }
int64_t deviceToHostCopies() { return gDeviceToHostCopies.load(); }

int copyDeviceToHost(void* dst, const void* src, size_t bytes) {
  countDeviceToHostCopy();
  int rc = finishStreamOf(src);
  return rc != 0 ? rc : cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost);
}

int synchronize() { return cudaDeviceSynchronize(); }

void* legacyStream() { return cudaStreamLegacy; }
void* perThreadStream() { return cudaStreamPerThread; }

int streamWait(void* waiter, void* producer) {
  if (waiter == producer) {
    return cudaSuccess;
  }
  cudaEvent_t event = nullptr;
  cudaError_t rc = cudaEventCreateWithFlags(&event, cudaEventDisableTiming);
  if (rc != cudaSuccess) {
    return rc;
  }
  rc = cudaEventRecord(event, static_cast<cudaStream_t>(producer));
  if (rc == cudaSuccess) {
    rc = cudaStreamWaitEvent(static_cast<cudaStream_t>(waiter), event, 0);
  }
  // Released once the recorded work is done; the wait stays queued.
  cudaEventDestroy(event);
  return rc;
}

int synchronizeStream(void* stream) {
  return cudaStreamSynchronize(static_cast<cudaStream_t>(stream));
}

int copyHostToDeviceAsync(void* dst, const void* src, size_t bytes, void* stream) {
  return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice,
                         static_cast<cudaStream_t>(stream));
}

int copyDeviceToDeviceAsync(void* dst, const void* src, size_t bytes, void* stream) {
  return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice,
                         static_cast<cudaStream_t>(stream));
}

int copy2DToHost(void* dst, size_t dstPitch, const void* src, size_t srcPitch, size_t widthBytes,
                 size_t rows, void* stream) {
  countDeviceToHostCopy();
  auto s = static_cast<cudaStream_t>(stream);
  cudaError_t rc =
      cudaMemcpy2DAsync(dst, dstPitch, src, srcPitch, widthBytes, rows, cudaMemcpyDeviceToHost, s);
  return rc != cudaSuccess ? rc : cudaStreamSynchronize(s);
}

int allocateAsync(void** pointer, size_t bytes, void* stream) {
  return cudaMallocAsync(pointer, bytes, static_cast<cudaStream_t>(stream));
}

int releaseAsync(void* pointer, void* stream) {
  return cudaFreeAsync(pointer, static_cast<cudaStream_t>(stream));
}

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
  std::map<int, cudaStream_t> streams;  // the same
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

int stream(int index, void** stream) {
  *stream = nullptr;
  std::string error;
  void* context = primaryContext(index, error);  // before the lock: it takes it too
  std::lock_guard<std::mutex> lock(gContexts->mutex);
  auto it = gContexts->streams.find(index);
  if (it != gContexts->streams.end()) {
    *stream = it->second;
    return cudaSuccess;
  }
  if (context == nullptr) {
    return cudaErrorNoDevice;
  }
  // Created on GPU `index`'s primary context whatever the thread has current.
  if (driver().push(static_cast<CUcontext>(context)) != CUDA_SUCCESS) {
    return cudaErrorNoDevice;
  }
  cudaStream_t created = nullptr;
  cudaError_t rc = cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking);
  CUcontext popped = nullptr;
  driver().pop(&popped);
  if (rc != cudaSuccess) {
    return rc;
  }
  gContexts->streams.emplace(index, created);
  *stream = created;
  return cudaSuccess;
}

namespace {
int finishStreamOf(const void* pointer) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, pointer) != cudaSuccess ||
      attributes.type != cudaMemoryTypeDevice) {
    cudaGetLastError();  // not device memory: nothing of ours to wait for
    return cudaSuccess;
  }
  cudaStream_t s = nullptr;
  {
    std::lock_guard<std::mutex> lock(gContexts->mutex);
    auto it = gContexts->streams.find(attributes.device);
    if (it == gContexts->streams.end()) {
      return cudaSuccess;
    }
    s = it->second;
  }
  return cudaStreamSynchronize(s);
}
}  // namespace

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
