/**
 * One SDK instance, one operation at a time. The SDK's syncs move chain pins and object
 * cursors across `await`s, so two overlapping syncs on one `Hush` would apply the same links
 * twice and report a false fork. The MCP server serves tool calls concurrently and keeps an
 * SSE watch open, so every use of the SDK goes through this lock, the watch's included (see
 * `gateEventStreams`).
 */

/** A FIFO async mutex. */
export class Lock {
  #tail: Promise<void> = Promise.resolve();

  /**
   * Waits for the lock; resolves with the function that releases it (calling it twice is
   * harmless).
   */
  acquire(): Promise<() => void> {
    let open: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (open = resolve));
    const before = this.#tail;
    this.#tail = before.then(() => held);
    let released = false;
    return before.then(() => () => {
      if (released) return;
      released = true;
      open();
    });
  }

  /**
   * Runs `fn` holding the lock.
   * @example
   * const teams = await lock.run(() => hush.teams.list());
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * A fetch for the SDK whose Server-Sent Event bodies take `lock` while the SDK handles a
 * chunk. `hush.watch()` reads its stream and, between two reads, verifies and caches what
 * an event announced; the lock is released when the SDK asks for the next chunk and taken
 * again when one arrives. So the watch never syncs while a tool does, and waiting on the
 * network never holds the lock.
 */
export function gateEventStreams(lock: Lock, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    const type = res.headers.get('content-type') ?? '';
    if (!res.ok || !res.body || !type.startsWith('text/event-stream')) return res;
    const reader = res.body.getReader();
    let release: (() => void) | undefined;
    const free = () => {
      release?.();
      release = undefined;
    };
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          free();
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (e) {
            controller.error(e);
            return;
          }
          if (chunk.done) return controller.close();
          release = await lock.acquire();
          controller.enqueue(chunk.value);
        },
        async cancel(reason) {
          free();
          await reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}
