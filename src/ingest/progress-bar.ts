/**
 * A one-line progress bar for terminals; on a pipe or file it prints one plain line per update
 * instead, so logs stay readable.
 */
export class ProgressBar {
  private done = 0;
  private failed = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {}

  tick(outcome: { ok: boolean; label: string }): void {
    this.done++;
    if (!outcome.ok) this.failed++;
    this.stream.write(
      this.stream.isTTY ? `\r${this.render(outcome.label)}` : `${this.render(outcome.label)}\n`,
    );
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }

  render(label: string): string {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(fraction * this.width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}`;
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const failed = this.failed > 0 ? ` ${this.failed} failed` : '';
    return `[${bar}] ${this.done}/${this.total}${failed} ${elapsed.toFixed(1)}s ${label}`.slice(0, 160);
  }
}
