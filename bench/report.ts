/**
 * One benchmark report: sections of tables plus notes, written as markdown (for people and the
 * README) and JSON (for tooling), and printed as aligned plain text while the run goes on.
 */

export type Cell = string | number;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Sentences that say how to read the table: parameters, caveats, what was not measured. */
  notes: string[];
}

export interface BenchReport {
  startedAt: string;
  machine: { cpu: string; cores: number; node: string; platform: string };
  /** 1-minute load average when the run started and ended: above the core count, other work shared the CPU. */
  loadAverage: { start: number; end: number };
  model: { dir: string; name: string; status: string; embeddingDim: number };
  tables: Table[];
}

export function formatCell(cell: Cell): string {
  return typeof cell === 'number' ? String(cell) : cell;
}

export function plainTable(table: Table): string {
  const cells = table.rows.map((row) => row.map(formatCell));
  const widths = table.columns.map((c, i) =>
    Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: string[]) => row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  return [
    `== ${table.title}`,
    line(table.columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
    ...table.notes.map((note) => `  * ${note}`),
  ].join('\n');
}

export function markdownTable(table: Table): string {
  const escapePipes = (text: string) => text.replaceAll('|', '\\|');
  return [
    `### ${table.title}`,
    '',
    `| ${table.columns.map(escapePipes).join(' | ')} |`,
    `| ${table.columns.map(() => '---').join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map((cell) => escapePipes(formatCell(cell))).join(' | ')} |`),
    '',
    ...table.notes.map((note) => `- ${note}`),
  ].join('\n');
}

export function markdownReport(report: BenchReport): string {
  const { machine, model } = report;
  return [
    '## Benchmarks',
    '',
    `Measured ${report.startedAt} on ${machine.cpu} × ${machine.cores} cores, Node ${machine.node} ` +
      `(${machine.platform}); model \`${model.name}\` (${model.status}, dim ${model.embeddingDim}); ` +
      `1-minute load average ${report.loadAverage.start.toFixed(1)} at the start and ${report.loadAverage.end.toFixed(1)} at the end` +
      (Math.max(report.loadAverage.start, report.loadAverage.end) > machine.cores
        ? ' (above the core count: other work shared the CPU, so absolute rates are low and noisy; ratios measured back to back are more telling). '
        : '. ') +
      'Regenerate with `npm run bench` (sections: `--only inference,ingest,search,catalogs,http`).',
    '',
    ...report.tables.map((table) => `${markdownTable(table)}\n`),
  ].join('\n');
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
