#pragma once
// Whether this test binary runs under AddressSanitizer, for the few tests that cannot: those
// that take every file descriptor of the process leave none for the sanitizer's own use, and
// the plain build runs them.

#if defined(__SANITIZE_ADDRESS__)
#define HEARTBEAT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEARTBEAT_UNDER_ASAN 1
#endif
#endif

#ifdef HEARTBEAT_UNDER_ASAN
#define HEARTBEAT_SKIP_UNDER_ASAN()                                                     \
  GTEST_SKIP() << "takes every file descriptor, which AddressSanitizer needs some of; " \
                  "the plain build runs it"
#else
#define HEARTBEAT_SKIP_UNDER_ASAN() (void)0
#endif
