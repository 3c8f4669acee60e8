/**
 * Redraws the status block in place on a terminal (like `watch`), and appends it when output goes to a
 * pipe or a log, where cursor movement would only be noise.
 */
export class StatusScreen {
  private previousLines = 0;

  constructor(private readonly redraw: boolean) {}

  show(text: string): void {
    if (this.redraw && this.previousLines > 0) {
      // Up to the first line of the previous block, then clear to the end of the screen.
      process.stdout.write(`\x1b[${this.previousLines}F\x1b[J`);
    }
    process.stdout.write(text + '\n');
    this.previousLines = text.split('\n').length;
  }
}
