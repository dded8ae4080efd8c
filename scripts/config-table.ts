/**
 * The STEMDEX_* environment variable reference as a Markdown table, from the one schema the service
 * validates its configuration with (src/config.ts), so documentation cannot drift from it.
 *
 *   npx tsx scripts/config-table.ts                      # print the table
 *   npx tsx scripts/config-table.ts --write docs/deploy.md README.md
 *       # replace the table between <!-- config-table:start --> and <!-- config-table:end -->
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { configTable } from '../src/config.js';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

/** `markdown` with the text between the markers replaced by the current table. */
export function withConfigTable(markdown: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`no ${TABLE_START} … ${TABLE_END} section`);
  return `${markdown.slice(0, start + TABLE_START.length)}\n${configTable()}\n${markdown.slice(end)}`;
}

function main(args: string[]): void {
  if (args[0] !== '--write') {
    process.stdout.write(`${configTable()}\n`);
    return;
  }
  for (const file of args.slice(1)) {
    writeFileSync(file, withConfigTable(readFileSync(file, 'utf8')));
    process.stderr.write(`updated ${file}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2));
