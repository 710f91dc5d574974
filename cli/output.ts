/**
 * Buffered, synchronous writes to stdout/stderr that end quietly when the
 * reader goes away (`flow run ... | head -1`).
 *
 * @module
 */

const encoder = new TextEncoder();
/** Pending text is written once it reaches this many UTF-16 code units. */
const FLUSH_AT = 65536;
/** The largest encoding buffer kept between flushes, bytes. */
const MAX_KEPT_BUFFER = 1 << 20;

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

  /**
   * Called before each write when set: the live view (`live.ts`) erases its
   * block from the terminal there, so that a line written to this stream
   * does not land in the middle of it.
   */
  beforeWrite: (() => void) | undefined;

  /** Whether the reader went away. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues text. */
  write(text: string): void {
    if (this.#closed) return;
    if (this.beforeWrite) this.beforeWrite();
    this.#chunks.push(text);
    this.#size += text.length;
    if (!this.#buffered || this.#size >= FLUSH_AT) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushLater);
    }
  }

  readonly #flushLater = () => this.flush();
  #buffer: Uint8Array | undefined;

  /**
   * UTF-8 bytes of `text`, in a buffer kept from one flush to the next (a
   * large NDJSON stream flushes thousands of times; a new buffer each time
   * is that much more for the garbage collector). Very large texts get a
   * buffer of their own.
   */
  #encode(text: string): Uint8Array {
    const most = text.length * 3; // UTF-8 takes at most 3 bytes per UTF-16 code unit
    if (most > MAX_KEPT_BUFFER) return encoder.encode(text);
    if (!this.#buffer || this.#buffer.length < most) this.#buffer = new Uint8Array(Math.max(most, 3 * FLUSH_AT));
    return this.#buffer.subarray(0, encoder.encodeInto(text, this.#buffer).written);
  }

  /** Writes everything queued. */
  flush(): void {
    this.#scheduled = false;
    if (this.#chunks.length === 0 || this.#closed) return;
    const data = this.#encode(this.#chunks.length === 1 ? this.#chunks[0] : this.#chunks.join(""));
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
