/** Typed errors the Raft core and its storage throw. */

export class RaftError extends Error {
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** A proposal could not be accepted: no leader, a leader transfer in progress, or this node was removed. */
export class ErrProposalDropped extends RaftError {
  constructor(reason = 'raft proposal dropped') {
    super(reason)
  }
}

/** A configuration change was proposed while another one is still pending. */
export class ErrConfChangePending extends ErrProposalDropped {
  constructor() {
    super('raft: a configuration change is already pending')
  }
}

/** The configuration change makes no sense for the current configuration. */
export class ErrInvalidConfChange extends RaftError {}

/** The requested index is older than the storage's first index (compacted away). */
export class ErrCompacted extends RaftError {
  constructor() {
    super('requested index is unavailable due to compaction')
  }
}

/** The requested index is newer than the storage's last index. */
export class ErrUnavailable extends RaftError {
  constructor() {
    super('requested entry at index is unavailable')
  }
}

/** A snapshot older than the storage's current one was offered. */
export class ErrSnapOutOfDate extends RaftError {
  constructor() {
    super('requested index is older than the existing snapshot')
  }
}

/** The storage cannot produce a snapshot right now; the leader retries later. */
export class ErrSnapshotTemporarilyUnavailable extends RaftError {
  constructor() {
    super('snapshot is temporarily unavailable')
  }
}

/** A message from a peer with a field the core cannot represent (see validate.ts); it was dropped. */
export class ErrInvalidMessage extends RaftError {}

/** The RawNode was used out of its Ready/advance contract. */
export class ErrReadyContract extends RaftError {}
