// A fuzz target with planted bugs, for the test that `./run fuzz` fails on every kind of
// finding. Each bug fires only on one exact input, recognised by its 64-bit hash so that the
// fuzzer cannot reach it by mutation (comparison tracing would find a plain memcmp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

constexpr uint64_t fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

volatile int sink;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint64_t h = fnv1a({reinterpret_cast<const char*>(data), size});
  if (h == fnv1a("planted crash")) {
    auto* p = new int[4];
    sink = p[size];  // heap-buffer-overflow (size is 13)
    delete[] p;
  } else if (h == fnv1a("planted ubsan")) {
    int big = 0x7fffffff - static_cast<int>(size) + 13;  // INT_MAX, unknown to the compiler
    sink = big + 1;                                      // signed overflow
  } else if (h == fnv1a("planted leak")) {
    auto* p = static_cast<char*>(std::malloc(64));
    std::memset(p, 1, 64);
    sink = p[size];
  } else if (h == fnv1a("planted timeout")) {
    while (sink >= 0) sink = sink + 1 - 1;
  } else if (h == fnv1a("planted oom")) {
    // 1 GiB, touched: over the limit the test sets (-rss_limit_mb, and with it -malloc_limit_mb).
    auto* p = static_cast<char*>(std::malloc(size_t{1} << 30));
    if (p != nullptr) std::memset(p, 1, size_t{1} << 30);
    sink = p != nullptr ? p[size] : 0;
    std::free(p);
  }
  return 0;
}
