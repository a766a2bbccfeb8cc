/**
 * Live events over `GET /v1/events` (Server-Sent Events read from a streaming fetch, no
 * EventSource, so the access token goes in a header). Resumes with `Last-Event-ID` after a
 * disconnect; events carry ids only, so each one triggers a verified sync and the watcher
 * yields what that sync verified.
 */
import type { Ctx } from './context.js';
import type { Message } from './messages.js';
import type { Snippet } from './snippets.js';
import { AuthError, ClientError, NetworkError, UsageError } from './errors.js';

/** One raw SSE frame. */
export interface SseFrame {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** Splits an SSE byte stream into frames (comments and unknown fields ignored). */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buf = '';
  let id: string | undefined;
  let event = 'message';
  let data: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.search(/\r?\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf[nl] === '\r' ? 2 : 1));
        if (line === '') {
          if (data.length > 0 || id !== undefined) yield { id, event, data: data.join('\n') };
          id = undefined;
          event = 'message';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

/** What the watcher yields of the stream itself, whatever it watches. */
export type WatchFrame =
  | { readonly type: 'ready'; readonly cursor: string }
  | { readonly type: 'team'; readonly event: string; readonly team: string }
  | { readonly type: 'reconnecting'; readonly reason: string };

/** An event `hush.watch` yields after verifying what it announced. */
export type HushEvent =
  | WatchFrame
  | { readonly type: 'message'; readonly message: Message }
  | { readonly type: 'snippet'; readonly snippet: Snippet };

/** Options of `hush.watch`. */
export interface WatchOptions {
  /** Only this team's messages and snippets (id or name). */
  readonly team?: string;
  /** Stops the watcher. */
  readonly signal?: AbortSignal;
  /** Backoff before reconnecting, in ms (default 1000, doubling to 30 s). */
  readonly retryMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Streams events; `onChange(teamId | undefined)` runs the verified sync for a team or the
 * inbox and returns the new messages and snippets to yield (or, for another watcher such as
 * `kv.watch`, its own verified events).
 */
export async function* watchEvents<E = HushEvent>(
  ctx: Ctx,
  opts: WatchOptions,
  onChange: (team: string | undefined) => Promise<E[]>,
): AsyncGenerator<WatchFrame | E> {
  let backoff = opts.retryMs ?? 1000;
  while (!opts.signal?.aborted) {
    let res: Response;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (ctx.data.eventCursor) headers['last-event-id'] = ctx.data.eventCursor;
      res = await ctx.api.stream('/v1/events', headers, opts.signal);
    } catch (e) {
      if (opts.signal?.aborted) return;
      if (e instanceof UsageError && ctx.data.eventCursor) {
        // The cursor is ahead of the relay's log (restored database): resync and start fresh.
        delete ctx.data.eventCursor;
        await ctx.save();
        continue;
      }
      if (!(e instanceof NetworkError)) throw e;
      yield { type: 'reconnecting', reason: e.message };
      await sleep(backoff, opts.signal);
      backoff = Math.min(backoff * 2, 30_000);
      continue;
    }
    backoff = opts.retryMs ?? 1000;
    let reason = 'the stream ended';
    try {
      for await (const f of parseSse(res.body as ReadableStream<Uint8Array>)) {
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(f.data || '{}') as Record<string, unknown>;
        } catch {
          continue;
        }
        if (f.event === 'revoked')
          throw new AuthError('this device was revoked', { code: 'HUSH_ERR_DEVICE_REVOKED' });
        if (f.event === 'expired') ctx.api.accessToken = undefined;
        if (['shutdown', 'expired', 'unavailable'].includes(f.event)) {
          reason = `the relay sent ${f.event}`;
          break;
        }
        if (f.event === 'ready') yield { type: 'ready', cursor: String(data.cursor ?? f.id ?? '') };
        else if (f.event === 'object' || f.event === 'inbox') {
          const team = f.event === 'object' ? String(data.team) : undefined;
          yield* await onChange(team);
        } else if (f.event.startsWith('team.')) {
          await onChange(String(data.team)).catch(() => []);
          yield { type: 'team', event: f.event, team: String(data.team) };
        }
        if (f.id !== undefined) {
          ctx.data.eventCursor = f.id;
          await ctx.save();
        }
      }
    } catch (e) {
      if (opts.signal?.aborted) return;
      if (e instanceof ClientError && !(e instanceof NetworkError)) throw e;
      reason = e instanceof Error ? e.message : String(e);
    }
    if (opts.signal?.aborted) return;
    yield { type: 'reconnecting', reason };
    await sleep(backoff, opts.signal);
  }
}
