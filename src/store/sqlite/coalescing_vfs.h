#pragma once
// A shim over SQLite's default VFS that coalesces the WAL's appends.
//
// SQLite appends each WAL frame with two write calls (frame header, then page); a group
// commit of a few hundred pings dirties a few hundred pages, i.e. about a thousand write
// system calls, which cost more than the sync itself. The shim gathers contiguous
// appends to a WAL file in memory and hands them to the OS in one write when SQLite
// syncs, reads, truncates, asks for the size, or closes the file. Nothing is reported
// durable earlier than before: SQLite only acknowledges a commit after xSync, and xSync
// writes the buffer first (a failed write fails the sync, and so the commit). Readers in
// other connections only see frames once the WAL index says so, which SQLite updates
// after the sync.
//
// Because a buffered append can fail where SQLite cannot hear of it (the WAL index is
// already updated), the disk space for it is reserved first (fallocate, without changing
// the file's size): a full disk then fails the write SQLite is making, as SQLITE_FULL,
// and the transaction is rolled back cleanly. What can still fail at the flush is an I/O
// error, after which nothing more may be acknowledged.

namespace heartbeat::sqlite {

// True once a buffered WAL append failed to reach the OS (an I/O error, or a full disk on
// a file system that cannot reserve space). From then on the process must
// acknowledge no write (frames the WAL index lists may be missing); a restart recovers
// the database from the frames that are really there.
bool CoalescingVfsFailed();

// The name to pass to sqlite3_open_v2. Registers the VFS on first call; thread-safe.
const char* CoalescingVfsName();

}  // namespace heartbeat::sqlite
