/** capped's own lines during a run: while the agent's PTY owns the screen they wait until it is done. */
export class RunOutput {
  private readonly held: string[] = [];
  private busy = false;

  constructor(private readonly write: (text: string) => void) {}

  readonly say = (text: string): void => {
    if (this.busy) this.held.push(text);
    else this.write(text);
  };

  /** The agent's PTY has the screen: lines wait. */
  hold(): void {
    this.busy = true;
  }

  /** The screen is capped's again: returns the lines that waited, in order, for the caller to place. */
  release(): string[] {
    this.busy = false;
    return this.held.splice(0);
  }
}
