#include "store/sqlite/coalescing_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

namespace heartbeat::sqlite {
namespace {

constexpr const char* kName = "heartbeat-coalescing";
constexpr std::size_t kMaxBuffer = 8 << 20;  // flush early past this many bytes
constexpr std::size_t kMaxWrite = 64 << 10;  // bytes per write call to the real VFS
// Disk space is reserved for the WAL this far ahead of its last append (see Reserve).
constexpr sqlite3_int64 kReserveAhead = 4 << 20;

struct ShimFile {
  sqlite3_file base;  // must be first: SQLite sees a ShimFile* as a sqlite3_file*
  sqlite3_file* real;
  bool is_wal;
  std::string* buffer;  // pending appends (WAL files only)
  sqlite3_int64 buffer_offset;
  int reserve_fd;          // the WAL opened again, to reserve space with; -1: cannot
  sqlite3_int64 reserved;  // bytes of the file known to have disk space behind them
};

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

// The WAL file this thread has buffered appends for. SQLite publishes new frames to other
// connections by updating the WAL index in shared memory, and always passes through a
// shared-memory barrier or lock to do so: flushing there makes the frames readable
// through every descriptor before any reader can be told they exist, also when the
// connection does not sync at commit (synchronous=NORMAL).
thread_local ShimFile* t_pending = nullptr;

// Set for good once a buffered WAL append could not be written: frames that SQLite
// believes written are missing, so nothing more may be acknowledged (see header).
std::atomic<bool> g_failed{false};

ShimFile* Shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Shim(f)->real; }

int Flush(ShimFile* f) {
  if (t_pending == f) t_pending = nullptr;
  if (f->buffer == nullptr || f->buffer->empty()) return SQLITE_OK;
  // The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the length), so
  // the buffer goes out in 64 KiB pieces: still a few calls instead of a thousand.
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < f->buffer->size() && rc == SQLITE_OK;) {
    std::size_t n = std::min(kMaxWrite, f->buffer->size() - done);
    rc = f->real->pMethods->xWrite(f->real, f->buffer->data() + done, static_cast<int>(n),
                                   f->buffer_offset + static_cast<sqlite3_int64>(done));
    done += n;
  }
  f->buffer->clear();
  if (rc != SQLITE_OK) g_failed.store(true);
  return rc;
}

int Close(sqlite3_file* file) {
  ShimFile* f = Shim(file);
  int flushed = Flush(f);
  int rc = f->real->pMethods != nullptr ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  delete f->buffer;
  f->buffer = nullptr;
  // The WAL is never locked with fcntl (the database and -shm files are), so closing
  // this second descriptor drops no lock of SQLite's.
  if (f->reserve_fd >= 0) ::close(f->reserve_fd);
  f->reserve_fd = -1;
  return flushed != SQLITE_OK ? flushed : rc;
}

int Read(sqlite3_file* file, void* out, int n, sqlite3_int64 offset) {
  if (int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xRead(Real(file), out, n, offset);
}

// Makes sure the disk has room for the WAL up to `end` before an append up to there is
// buffered. A buffered append reaches the OS only at a point where SQLite can no longer be
// told it failed (a shared-memory barrier, after the commit): a full disk found there
// would leave frames missing that the WAL index lists, for good. Found here, it is
// SQLITE_FULL for this write, SQLite rolls the transaction back, and the next one works
// once space is back. Space is reserved without changing the file's size
// (FALLOC_FL_KEEP_SIZE), 4 MiB ahead; near a full disk, exactly what is needed. Where the
// file system cannot reserve (no fallocate), nothing is reserved and a full disk is the
// sticky failure the header describes.
int Reserve(ShimFile* f, sqlite3_int64 end) {
  if (end <= f->reserved || f->reserve_fd < 0) return SQLITE_OK;
  for (sqlite3_int64 want : {end + kReserveAhead, end}) {
    int rc;
    do {
      rc = ::fallocate(f->reserve_fd, FALLOC_FL_KEEP_SIZE, f->reserved, want - f->reserved);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
      f->reserved = want;
      return SQLITE_OK;
    }
    if (errno == EOPNOTSUPP || errno == ENOSYS) {
      ::close(f->reserve_fd);
      f->reserve_fd = -1;
      return SQLITE_OK;
    }
    if (errno != ENOSPC && errno != EDQUOT) return SQLITE_IOERR_WRITE;
  }
  return SQLITE_FULL;
}

int Write(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  ShimFile* f = Shim(file);
  if (!f->is_wal) return f->real->pMethods->xWrite(f->real, data, n, offset);
  if (int rc = Reserve(f, offset + n); rc != SQLITE_OK) return rc;
  if (!f->buffer->empty() &&
      offset != f->buffer_offset + static_cast<sqlite3_int64>(f->buffer->size())) {
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  if (t_pending != nullptr && t_pending != f) {
    if (int rc = Flush(t_pending); rc != SQLITE_OK) return rc;
  }
  if (f->buffer->empty()) f->buffer_offset = offset;
  f->buffer->append(static_cast<const char*>(data), static_cast<std::size_t>(n));
  t_pending = f;
  if (f->buffer->size() >= kMaxBuffer) return Flush(f);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  ShimFile* f = Shim(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  // Truncating gives back the space reserved past the new end.
  f->reserved = std::min(f->reserved, size);
  return f->real->pMethods->xTruncate(f->real, size);
}

int Sync(sqlite3_file* file, int flags) {
  if (int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xSync(Real(file), flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  if (int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xFileSize(Real(file), size);
}

int Lock(sqlite3_file* file, int level) { return Real(file)->pMethods->xLock(Real(file), level); }
int Unlock(sqlite3_file* file, int level) {
  return Real(file)->pMethods->xUnlock(Real(file), level);
}
int CheckReservedLock(sqlite3_file* file, int* out) {
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}
int FileControl(sqlite3_file* file, int op, void* arg) {
  if (int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xFileControl(Real(file), op, arg);
}
int SectorSize(sqlite3_file* file) { return Real(file)->pMethods->xSectorSize(Real(file)); }
int DeviceCharacteristics(sqlite3_file* file) {
  return Real(file)->pMethods->xDeviceCharacteristics(Real(file));
}
int FlushPending() { return t_pending != nullptr ? Flush(t_pending) : SQLITE_OK; }

int ShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  if (int rc = FlushPending(); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xShmMap(Real(file), page, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  if (int rc = FlushPending(); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xShmLock(Real(file), offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) {
  // A barrier cannot report an error; a failed write resurfaces at the next sync, since
  // the frames' checksums will not match on recovery and the syncer's fdatasync or the
  // next commit fails. (Writes to the page cache fail only when the disk is full.)
  (void)FlushPending();
  Real(file)->pMethods->xShmBarrier(Real(file));
}
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag);
}
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int n, void** out) {
  if (int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xFetch(Real(file), offset, n, out);
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  return Real(file)->pMethods->xUnfetch(Real(file), offset, p);
}

int Open(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  ShimFile* f = Shim(file);
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + sizeof(ShimFile));
  f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->buffer = nullptr;
  f->buffer_offset = 0;
  f->reserve_fd = -1;
  f->reserved = 0;
  f->base.pMethods = nullptr;
  int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite calls xClose only when pMethods is set; the real file may need closing.
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    return rc;
  }
  if (f->is_wal) f->buffer = new (std::nothrow) std::string();
  if (f->is_wal && f->buffer == nullptr) {
    f->real->pMethods->xClose(f->real);
    return SQLITE_NOMEM;
  }
  if (f->is_wal && name != nullptr) f->reserve_fd = ::open(name, O_RDWR | O_CLOEXEC);
  f->base.pMethods = &g_methods;
  return SQLITE_OK;
}

// The remaining VFS methods forward to the real VFS.
int Delete(sqlite3_vfs*, const char* name, int sync) { return g_real->xDelete(g_real, name, sync); }
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real->xAccess(g_real, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return g_real->xDlOpen(g_real, name); }
void DlError(sqlite3_vfs*, int n, char* out) { g_real->xDlError(g_real, n, out); }
void (*DlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_real->xDlSym(g_real, h, sym);
}
void DlClose(sqlite3_vfs*, void* h) { g_real->xDlClose(g_real, h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int Sleep(sqlite3_vfs*, int us) { return g_real->xSleep(g_real, us); }
int CurrentTime(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return g_real->xGetLastError(g_real, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_real->xCurrentTimeInt64(g_real, out);
}

void Register() {
  g_real = sqlite3_vfs_find(nullptr);
  g_methods = sqlite3_io_methods{};
  g_methods.iVersion = 3;
  g_methods.xClose = Close;
  g_methods.xRead = Read;
  g_methods.xWrite = Write;
  g_methods.xTruncate = Truncate;
  g_methods.xSync = Sync;
  g_methods.xFileSize = FileSize;
  g_methods.xLock = Lock;
  g_methods.xUnlock = Unlock;
  g_methods.xCheckReservedLock = CheckReservedLock;
  g_methods.xFileControl = FileControl;
  g_methods.xSectorSize = SectorSize;
  g_methods.xDeviceCharacteristics = DeviceCharacteristics;
  g_methods.xShmMap = ShmMap;
  g_methods.xShmLock = ShmLock;
  g_methods.xShmBarrier = ShmBarrier;
  g_methods.xShmUnmap = ShmUnmap;
  g_methods.xFetch = Fetch;
  g_methods.xUnfetch = Unfetch;

  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_real->szOsFile;
  g_vfs.mxPathname = g_real->mxPathname;
  g_vfs.zName = kName;
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Delete;
  g_vfs.xAccess = Access;
  g_vfs.xFullPathname = FullPathname;
  g_vfs.xDlOpen = DlOpen;
  g_vfs.xDlError = DlError;
  g_vfs.xDlSym = DlSym;
  g_vfs.xDlClose = DlClose;
  g_vfs.xRandomness = Randomness;
  g_vfs.xSleep = Sleep;
  g_vfs.xCurrentTime = CurrentTime;
  g_vfs.xGetLastError = GetLastError;
  g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  sqlite3_vfs_register(&g_vfs, 0);
}

}  // namespace

bool CoalescingVfsFailed() { return g_failed.load(); }

const char* CoalescingVfsName() {
  static std::once_flag once;
  std::call_once(once, Register);
  return kName;
}

}  // namespace heartbeat::sqlite
