/**
 * Buffered, synchronous writes to stdout/stderr that end quietly when the
 * reader goes away (`flow run ... | head -1`).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Something that can be written to synchronously (Deno.stdout, a file). */
export interface SyncWritable {
  /** Writes some bytes; returns how many were written. */
  writeSync(p: Uint8Array): number;
}

/**
 * Collects text and writes it in large chunks: when 64 KiB are pending, when
 * the current burst of work pauses (a microtask queued by the first pending
 * write), or on {@linkcode Output.flush}. A broken pipe closes it silently;
 * later writes are dropped.
 *
 * No timer is involved: a zero timer is clamped to a few milliseconds once
 * timers nest, and the first `setTimeout` of a process loads Deno's Node
 * timers module, which costs a cold start about 13 ms.
 */
export class Output {
  #chunks: string[] = [];
  #size = 0;
  #scheduled = false;
  #closed = false;
  readonly #target: SyncWritable;
  readonly #buffered: boolean;

  /** Wraps a writable; `buffered: false` writes every call through at once. */
  constructor(target: SyncWritable, buffered = true) {
    this.#target = target;
    this.#buffered = buffered;
  }

  /** Whether the reader went away. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues text. */
  write(text: string): void {
    if (this.#closed) return;
    this.#chunks.push(text);
    this.#size += text.length;
    if (!this.#buffered || this.#size >= 65536) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushLater);
    }
  }

  readonly #flushLater = () => this.flush();

  /** Writes everything queued. */
  flush(): void {
    this.#scheduled = false;
    if (this.#chunks.length === 0 || this.#closed) return;
    const data = encoder.encode(this.#chunks.length === 1 ? this.#chunks[0] : this.#chunks.join(""));
    this.#chunks = [];
    this.#size = 0;
    let offset = 0;
    try {
      while (offset < data.length) offset += this.#target.writeSync(data.subarray(offset));
    } catch (err) {
      if (err instanceof Deno.errors.BrokenPipe || (err as { code?: string }).code === "EPIPE") {
        this.#closed = true;
        return;
      }
      throw err;
    }
  }
}

/** Buffered stdout. */
export const stdout: Output = new Output(Deno.stdout);
/** Unbuffered stderr. */
export const stderr: Output = new Output(Deno.stderr, false);
