/**
 * One command path (SPEC 3a: "commands about one order are applied one at a
 * time, in the order they were accepted").
 *
 * The order's main flow holds this lock whenever it is not waiting; it lets
 * go only inside its waits (stage clocks, gates). Every state-changing update
 * handler and every side-loop step (dunning, change review, progress mail)
 * takes it for its whole read-check-act-write section, so no two of them
 * interleave across an await: a handler re-checks its validator's rules
 * under the lock and sees exactly the state the previous command left.
 * Waiters are served first come, first served (the order Temporal delivered
 * the updates in), which keeps it deterministic on replay.
 *
 * Same idea as the mutex of Temporal's safe-message-handlers sample; plain
 * promises, so it runs inside the workflow sandbox.
 */
export class CommandLock {
  private locked: boolean;
  private readonly waiting: (() => void)[] = [];
  /**
   * Off only while replaying an order started before the lock existed: its
   * history has handlers interleaved with the main flow, and replay must
   * issue the same commands in the same order (workflow.ts, patched()).
   * Off, run() calls straight through, adding not even a microtask.
   */
  enabled = true;

  /** `held`: the creator holds it from the start (the main flow, before any handler can run). */
  constructor(held = false) {
    this.locked = held;
  }

  async acquire(): Promise<void> {
    if (!this.enabled) return;
    if (!this.locked) {
      this.locked = true;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the lock to the next waiter (it stays locked), or frees it. */
  release(): void {
    if (!this.enabled) return;
    const next = this.waiting.shift();
    if (next) next();
    else this.locked = false;
  }

  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    if (!this.enabled) return fn();
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
