/**
 * # The write-ahead log of a tsetcd member
 *
 * The WAL lives in `<data-dir>/member/wal/` (or `--wal-dir`). It holds, in the order the
 * raft loop handed them over: raft log entries, hard states and snapshot markers. The server
 * calls `save()` once per loop turn; everything saved is durable (written and fdatasync'ed)
 * when the returned promise resolves.
 *
 * ## Segment files
 *
 * The log is a sequence of segment files named `%016x-%016x.wal` = (sequence, first index):
 * the sequence counts up by one per file; the first index is the index the next entry was
 * expected to have when the file was started (last written entry index + 1). To read from a
 * snapshot at index S, start at the last segment whose first index is <= S.
 *
 * A segment is preallocated to `segmentSize` bytes (64 MiB by default) by writing zeros, so
 * that later appends overwrite blocks that are already allocated and an fdatasync does not
 * have to journal block allocations. A file pipeline (`file-pipeline.ts`) prepares the next
 * segment in the background under a temporary name (`*.wal.tmp`); a cut renames it into place
 * and never waits for the preallocation. When a segment is left behind by a cut it is
 * truncated to the bytes actually written.
 *
 * ## Records
 *
 * Everything in a segment is a record. All integers are little-endian. A record is a 12-byte
 * header, a payload, and 0..7 zero bytes of padding so that every record starts at an offset
 * that is a multiple of 8 from the start of its segment:
 *
 * ```
 *  offset  size  field
 *  0       4     payload length n (u32)
 *  4       1     record type (see below; 0 is never valid)
 *  5       1     padding length p = frameSize - 12 - n, where frameSize = align8(12 + n)
 *  6       2     reserved, zero
 *  8       4     CRC-32 (IEEE, zlib.crc32) of header bytes [0, 8) followed by the payload
 *  12      n     payload
 *  12+n    p     zero padding
 * ```
 *
 * The CRC covers the length, type and padding fields as well as the payload, so a damaged
 * length is caught by the CRC instead of sending the reader to a wrong offset.
 *
 * Record types and payloads:
 *
 * | type | name      | payload                                                                  |
 * |------|-----------|--------------------------------------------------------------------------|
 * | 1    | batch     | u32 byte length of this whole write (batch record included), u32 zero,   |
 * |      |           | u64 log ID (random, chosen at `create()`, the same in every batch)       |
 * | 2    | segment   | u64 sequence, u64 first index (must match the file name)                 |
 * | 3    | metadata  | opaque bytes given at `create()` (member ID, cluster ID, ...)            |
 * | 4    | entry     | u64 index, u64 term, u8 entry type (0 normal, 1 conf change), data bytes |
 * | 5    | hardstate | u64 term, u64 vote (member ID), u64 commit                               |
 * | 6    | snapshot  | u64 index, u64 term (a marker: a raft snapshot was taken at this point)  |
 *
 * ## Batches: one write, one fdatasync
 *
 * Every write to a segment (one group commit: all `save()` calls gathered while the previous
 * fdatasync was in flight) begins with a `batch` record that states the byte length of the
 * write. The first write to each segment also carries, after its batch record, a `segment`
 * record, a `metadata` record and the latest hard state, so that reading can start at any
 * segment. A reader applies a batch only when every record in it is valid and the records
 * end exactly where the batch record said: a write is atomic on reopen.
 *
 * On Linux the write and its fdatasync are one call: the segment is written through a second
 * descriptor opened with O_DSYNC, whose writes return only once the data is as durable as
 * after fdatasync(2) (one trip to the I/O thread pool per batch instead of two).
 *
 * ## CRC per record, not rolling
 *
 * etcd chains its CRC through all records (each record's CRC is seeded with the previous
 * one), and starts every segment with a `crc` record carrying the running value. A chain
 * protects against records that are valid on their own but out of place, such as stale data in
 * a recycled file. Here no file is ever reused without being zeroed, and a `segment` record
 * ties each file to its sequence and first index, so that protection is not needed. An
 * independent CRC per record lets the reader validate a record it finds anywhere in a file,
 * and that is what telling a torn tail from damage in the middle requires (below).
 *
 * ## Torn tail versus corruption
 *
 * At most one write is ever in flight without an fdatasync: the next write starts only when
 * the previous one is durable. A crash can therefore tear only the last write of the last
 * segment, and it tears it at sector boundaries: each 512-byte sector of the file (aligned in
 * the file) that the write reaches into either reached the disk or still holds the zeros of
 * preallocation (a killed process leaves a prefix cut at a page boundary, or the file cut
 * short). When the reader meets something invalid (bad CRC, bad header, a record or batch
 * running past the end of the file, a non-zero byte after the zeros where the data ends), it
 * decides, for the batch (the write) where the damage is:
 *
 * - a torn write when it is in the last segment, no valid `batch` record of this log follows
 *   at any 8-byte aligned offset after it, and the write looks torn (etcd's `isTornEntry`
 *   rule): it runs past the end of the file, or its part of one of the sectors it spans is all
 *   zeros. The write's extent is what its batch record says; if that record is itself
 *   damaged, from its start to the last non-zero byte, and at least the 48 bytes of the
 *   shortest write. The reader stops at the start of the damaged batch; `open()` zeroes the
 *   bytes from there to the last non-zero byte (repair), fdatasyncs, and reports what it
 *   discarded (`RepairReport`). Only writes whose `save()` never resolved are lost this way.
 * - otherwise corruption, `WalCorruptError` with file and offset, and `open()` changes
 *   nothing: a valid batch follows (a later write exists, so the damaged one had been
 *   fsync'ed), or the damage is in any segment but the last, or the last write has no zeroed
 *   sector (a flipped bit, garbage, zeros over part of a sector: a crash does not do that).
 *   Acknowledged data is never dropped silently.
 *
 * The log ID in batch records keeps a batch-shaped byte string inside entry data (a client
 * can propose any bytes) from being taken for a later write: it would have to guess the
 * random 64-bit ID. It also rejects a segment copied in from another member's WAL.
 *
 * Limitation shared with etcd: damage inside the very last write of the log that comes with
 * a sector's worth of zeros in that write (entry data that is all zeros over a sector, or
 * zeros that later overwrote a sector) looks like a torn write and is repaired.
 *
 * Other checks on reopen: segment sequences are contiguous, every segment starts with its
 * `segment` and `metadata` records, metadata is the same in all segments, entry indexes have
 * no gaps (an entry with an index at or below the last one replaces the tail from that
 * index: a new leader overwrote uncommitted entries), and a snapshot marker for the snapshot
 * the caller opens at exists with the same term.
 *
 * ## Snapshot markers and the hard state
 *
 * A marker may be used to start from only once a hard state with a commit index at or above
 * it is saved (etcd's rule): `walSnapshots()` lists the markers of all segments still in the
 * directory whose index is <= the last hard state's commit. `saveSnapshot(snap, hardState)`
 * writes the marker and then the hard state in one batch, so the two become durable together.
 * Start-up picks the newest snapshot file that has a marker (`loadNewestAvailable`) and opens
 * the WAL at it; `lastIndex` of the opened WAL is the index its log ends at (last entry, or a
 * marker written after it).
 *
 * ## Creation
 *
 * `create()` writes the first segment (`0000000000000000-0000000000000000.wal`, holding one
 * batch with the segment and metadata records) in full under a temporary name inside the
 * directory, fsyncs it, renames it into place and fsyncs the directory. A WAL exists when a
 * segment file exists, so a crash leaves either a complete WAL or none (plus a temporary
 * file that the next create or open removes). Building in the directory itself, rather than
 * renaming a whole temporary directory, also works when the WAL directory is a mount point.
 *
 * ## Lock
 *
 * Node has no flock() without a native addon, so the lock is a file, `wal.lock`, holding
 * "pid starttime token", created atomically with link(2) from a private temporary file (the
 * lock file never exists half-written). A lock whose process is gone, or whose PID now
 * belongs to a process with a different start time (/proc/<pid>/stat), is stale and taken
 * over; so is a lock whose process is a zombie or dead (state Z or X in /proc/<pid>/stat: it
 * was killed and its parent has not reaped it yet, which kill(pid, 0) does not tell). It is
 * advisory: it keeps tsetcd processes apart, not other programs.
 */
export {}
