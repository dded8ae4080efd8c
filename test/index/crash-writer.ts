/**
 * Child process for the crash-safety test: ingests deterministic stems forever and reports each
 * acknowledged write on stdout, snapshotting the index now and then, until the test kills it
 * with SIGKILL.
 *
 *   node --import tsx test/index/crash-writer.ts <dataDir> <round>
 *
 * Lines: `ACK <stemId> <version>` after an upsert resolved, `DELETING <stemId>` before a delete
 * starts and `DELETED <stemId>` after it resolved. Stdout to a pipe is synchronous on Linux, so a
 * line the parent read was written after the acknowledgement it reports.
 */
import { openLocalCatalog } from '../../src/index/index.js';
import { CRASH_MODEL, crashStem } from './crash-stems.js';

const [dataDir, roundArg] = process.argv.slice(2);
const round = Number(roundArg);
const catalog = await openLocalCatalog({ dataDir, ...CRASH_MODEL });
process.stdout.write('READY\n');

const deletable: string[] = [];
for (let i = 0; ; i++) {
  const version = round * 1_000_000 + i;
  const record = await catalog.upsertStem(crashStem(version));
  process.stdout.write(`ACK ${record.id} ${version}\n`);
  if (record.externalId === null) deletable.push(record.id);
  // Snapshots too, so some kills land while one is being written.
  if (i % 5 === 4) await catalog.snapshot();
  if (i % 7 === 6 && deletable.length > 0) {
    const id = deletable.shift()!;
    process.stdout.write(`DELETING ${id}\n`);
    await catalog.deleteStem(id);
    process.stdout.write(`DELETED ${id}\n`);
  }
}
