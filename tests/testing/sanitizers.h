// Which sanitizer a test binary is built with: tests scale heavy work down (or skip wall-clock
// assertions) under them.
//   TPULAB_ASAN       AddressSanitizer
//   TPULAB_SANITIZED  AddressSanitizer or ThreadSanitizer
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define TPULAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TPULAB_ASAN 1
#endif
#endif

#if defined(TPULAB_ASAN) || defined(__SANITIZE_THREAD__)
#define TPULAB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TPULAB_SANITIZED 1
#endif
#endif
