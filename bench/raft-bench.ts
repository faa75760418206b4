/**
 * Raft core throughput: committed entries per second through a 3-member
 * cluster in one process. No I/O: "persisting" appends to MemoryStorage and
 * messages are handed over in memory. Each loop turn proposes a batch on
 * the leader (as a server gathering client requests would), then runs one
 * Ready cycle on every member and delivers the messages.
 *
 *   npx tsc -p . && node dist/bench/raft-bench.js [--entries N] [--batch N] [--size BYTES]
 */
import { bootstrapLog, decodeConfChange, MemoryStorage, RawNode, type Message, type NodeId } from '../src/raft/index.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const total = arg('entries', 300_000);
const batch = arg('batch', 256);
const size = arg('size', 256);

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

const ids: NodeId[] = [1n, 2n, 3n];
const boot = bootstrapLog(ids);
const members = ids.map((id) => {
  const storage = new MemoryStorage();
  storage.append(boot.entries);
  storage.setHardState(boot.hardState);
  const rn = new RawNode({ id, storage, electionTick: 10, heartbeatTick: 1, random, maxInflightMsgs: 256, maxSizePerMsg: 1024 * 1024 });
  return { id, rn, storage, applied: 0 };
});
const byId = new Map(members.map((m) => [m.id, m]));
let inbox: Message[] = [];

function cycle(): boolean {
  let busy = false;
  for (const m of members) {
    if (!m.rn.hasReady()) continue;
    busy = true;
    const rd = m.rn.ready();
    inbox.push(...rd.messages);
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
    m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    inbox.push(...rd.messagesAfterPersist);
    for (const e of rd.committedEntries) {
      if (e.type === 'confChange') m.rn.applyConfChange(decodeConfChange(e.data));
      else if (e.data.byteLength > 0) m.applied++;
    }
    m.rn.advance();
  }
  const msgs = inbox;
  inbox = [];
  for (const msg of msgs) byId.get(msg.to)!.rn.step(msg);
  return busy || msgs.length > 0;
}

while (cycle());
members[0]!.rn.campaign();
while (cycle());
const leader = members[0]!;
if (leader.rn.status().role !== 'leader') throw new Error('bench: member 1 did not become leader');

const payload = new Uint8Array(size).fill(7);
const start = process.hrtime.bigint();
let proposed = 0;
while (members.some((m) => m.applied < total)) {
  const n = Math.min(batch, total - proposed);
  for (let i = 0; i < n; i++) leader.rn.propose(payload);
  proposed += n;
  cycle();
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(
  JSON.stringify({
    bench: 'raft-3-members-in-memory',
    entries: total,
    entryBytes: size,
    batch,
    seconds: Number(seconds.toFixed(3)),
    entriesPerSec: Math.round(total / seconds),
  }),
);
