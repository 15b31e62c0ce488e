// Runs a fuzz harness once over each file given (or each file of each
// directory given), as libFuzzer would replay them, without libFuzzer: the
// normal test suite checks the regression inputs of tests/fuzz/regressions
// with it. Fails when no input was found. As libFuzzer's -rss_limit_mb and
// -timeout do, it bounds memory (2 GiB of address space; sanitized builds
// use ASan's max_allocation_size_mb instead), so that an allocation sized by
// a header field fails here too instead of succeeding on a large machine,
// and time (20 s per input: SIGALRM ends the process).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#if defined(__SANITIZE_ADDRESS__)
#define CODECFLOW_REPLAY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CODECFLOW_REPLAY_SANITIZED 1
#endif
#endif

int main(int argc, char** argv) {
#ifndef CODECFLOW_REPLAY_SANITIZED
  const rlim_t limit = rlim_t{2} << 30;
  rlimit current{};
  if (getrlimit(RLIMIT_AS, &current) == 0 && (current.rlim_cur == RLIM_INFINITY || current.rlim_cur > limit)) {
    current.rlim_cur = limit;
    setrlimit(RLIMIT_AS, &current);
  }
#endif
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p)) {
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
      }
    } else if (std::filesystem::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input files\n");
    return 2;
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", f.c_str(), bytes.size());
    alarm(20);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::fprintf(stderr, "replay: %zu inputs, no crash\n", files.size());
  return 0;
}
