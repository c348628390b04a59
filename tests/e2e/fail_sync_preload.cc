// Loaded into the real `heartbeat` binary with LD_PRELOAD by fault_disk_test: fsync and
// fdatasync fail with EIO while the file named by HEARTBEAT_TEST_FAIL_SYNC_WHEN exists, as
// they do when a disk or a network file system loses writes. Nothing else changes: the
// calls go to the C library's own functions otherwise. (An fsync that fails cannot be had
// from a real device here: it needs a device-mapper target or a failing disk.)

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace {

bool Failing() {
  const char* trigger = std::getenv("HEARTBEAT_TEST_FAIL_SYNC_WHEN");
  return trigger != nullptr && ::access(trigger, F_OK) == 0;
}

template <class Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

// The real call, or EIO while the trigger file exists.
int SyncOrFail(int (*real)(int), int fd) {
  if (!Failing()) return real(fd);
  errno = EIO;
  return -1;
}

}  // namespace

extern "C" int fdatasync(int fd) {
  static auto real = Next<int (*)(int)>("fdatasync");
  return SyncOrFail(real, fd);
}

extern "C" int fsync(int fd) {
  static auto real = Next<int (*)(int)>("fsync");
  return SyncOrFail(real, fd);
}
