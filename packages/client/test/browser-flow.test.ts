/**
 * The browser entry's SDK (WebCrypto backend, key-value storage) run in Node against a real
 * relay process, next to a Node-entry client: two identities, a team, an invite, verified
 * messages both ways; the esbuild browser bundle doing the same in a JavaScript context that
 * has only web globals (no Buffer, process or require); and the IndexedDB store
 * (fake-indexeddb, an in-memory implementation of the IndexedDB API) keeping an identity
 * across reopening.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { IDBFactory } from 'fake-indexeddb';
import {
  Hush as BrowserHush,
  indexedDbStore,
  kvStorage,
  memoryStore,
  UsageError,
} from '../src/browser.js';
import type * as BrowserSdk from '../src/browser.js';
import type { Hush } from '../src/index.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { person } from './helpers.js';

/** What a browser page gives a script, and nothing of Node's. */
function webGlobals(): Record<string, unknown> {
  const g = globalThis;
  return {
    HostTextEncoder: TextEncoder,
    ...{ crypto: g.crypto, fetch: g.fetch, TextDecoder, URL, Headers, Request, Response },
    ...{ AbortController, AbortSignal, ReadableStream, atob, btoa, setTimeout, clearTimeout },
  };
}

/** The bundle of `@hush/client` that esbuild makes for the browser, loaded in a web-only context. */
async function bundledSdk(): Promise<typeof BrowserSdk> {
  const r = await build({
    stdin: {
      contents: "export { Hush, memoryStore } from '@hush/client';",
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'js',
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'HushBundle',
    write: false,
    logLevel: 'silent',
  });
  const ctx = createContext(webGlobals());
  // A vm context is another realm: the host TextEncoder's arrays are not this realm's
  // Uint8Array (core refuses them, as it should); in a page the encoder is the page's own.
  runInContext(
    'const E = HostTextEncoder; delete globalThis.HostTextEncoder;' +
      'globalThis.TextEncoder = class { encode(s) { return new Uint8Array(new E().encode(s)); } };',
    ctx,
  );
  runInContext(r.outputFiles[0]?.text ?? '', ctx);
  assert.equal(
    runInContext('typeof Buffer + typeof process + typeof require', ctx),
    'undefinedundefinedundefined',
  );
  return (ctx as { HushBundle: typeof BrowserSdk }).HushBundle;
}

for (const kind of await dialects())
  describe(`the browser entry against a relay on ${kind}`, () => {
    let storage: InstanceType<typeof Storage>;
    let server: ServerProcess;
    let nodeBob: Hush;
    let web: BrowserHush;
    const kv = memoryStore();
    before(async () => {
      storage = new Storage(kind);
      server = await spawnServer(storage);
      nodeBob = await person(server.url, 'bob');
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('creates an identity with WebCrypto in memory, a team, and a Node client joins', async () => {
      web = await BrowserHush.init({ server: server.url, name: 'alice', storage: kv });
      const me = web.whoami();
      assert.equal(me.kind, 'human');
      assert.equal(me.home, 'default');
      assert.match(me.fingerprint, /^(\d{5} ){5}\d{5}$/);
      const t = await web.teams.create('web');
      const joined = await nodeBob.join(await web.teams.invite('web', { role: 'writer' }));
      assert.equal(joined.id, t.id);
      assert.equal(joined.name, 'web');
      const shown = await web.teams.show('web');
      assert.deepEqual(shown.memberList.map((m) => m.name).sort(), ['alice', 'bob']);
      assert.equal(shown.audit.ok, true);
      assert.equal(
        await web.fingerprintOf('bob'),
        nodeBob.fingerprint(me.principalId),
        'both sides compute the same safety number',
      );
    });

    it('exchanges verified team and direct messages both ways with the Node client', async () => {
      const sent = await web.messages.send('web', { text: 'from the browser', topic: 'hi' });
      assert.equal(sent.queued, false);
      const atBob = (await nodeBob.messages.inbox()).find((m) => m.id === sent.id);
      assert.equal(atBob?.text, 'from the browser');
      assert.equal(atBob?.from.name, 'alice');
      const reply = await nodeBob.messages.send('web', {
        text: 'from node',
        type: 'response',
        replyTo: sent.id,
      });
      await nodeBob.messages.send('@alice', { text: 'direct from node' });
      const atWeb = await web.messages.inbox();
      assert.equal(atWeb.find((m) => m.id === reply.id)?.from.name, 'bob');
      assert.ok(atWeb.some((m) => m.direct && m.text === 'direct from node'));
      await web.messages.send('@bob', { text: 'direct from the browser' });
      assert.ok((await nodeBob.messages.inbox()).some((m) => m.text === 'direct from the browser'));
    });

    it('reopens from the same store, and shares snippet content (files need Node)', async () => {
      const again = await BrowserHush.open({ storage: kv });
      assert.equal(again.whoami().principalId, web.whoami().principalId);
      assert.ok((await again.messages.inbox({ offline: true })).length >= 3);
      const s = await again.snippets.share({
        target: 'web',
        content: 'export const x = 1;\n',
        path: 'src/x.ts',
      });
      const got = await nodeBob.snippets.get(s.id);
      assert.equal(got.language, 'typescript');
      assert.equal(got.content, 'export const x = 1;\n');
      await assert.rejects(again.snippets.share({ target: 'web', file: 'x.ts' }), UsageError);
    });

    it('refuses a passphrase (no scrypt in WebCrypto) before registering anything', async () => {
      await assert.rejects(
        BrowserHush.init({ server: server.url, name: 'x', passphrase: 'p', storage: kv }),
        UsageError,
      );
      const fresh = memoryStore();
      await assert.rejects(
        BrowserHush.init({ server: server.url, name: 'x', passphrase: 'p', storage: fresh }),
        /scrypt/,
      );
      assert.deepEqual(await fresh.keys(''), []);
    });

    it('the browser bundle works where only web globals exist', async () => {
      const { Hush: Bundled, memoryStore: mem } = await bundledSdk();
      const dan = await Bundled.init({ server: server.url, name: 'dan', storage: mem() });
      const t = await dan.teams.create('bundle');
      await nodeBob.join(await dan.teams.invite(t.id));
      const m = await dan.messages.send(t.id, { text: 'from the bundle' });
      assert.equal((await nodeBob.messages.inbox()).find((x) => x.id === m.id)?.from.name, 'dan');
      await nodeBob.messages.send(t.id, { text: 'to the bundle' });
      assert.ok((await dan.messages.inbox()).some((x) => x.text === 'to the bundle'));
    });

    it('keeps an identity in IndexedDB across reopening', async () => {
      const factory = new IDBFactory();
      const a = await BrowserHush.init({
        server: server.url,
        name: 'carol',
        storage: kvStorage(indexedDbStore('hush', factory), 'carol'),
      });
      await a.teams.create('idb');
      const b = await BrowserHush.open({
        storage: kvStorage(indexedDbStore('hush', factory), 'carol'),
      });
      assert.equal(b.whoami().principalId, a.whoami().principalId);
      assert.deepEqual(
        (await b.teams.list()).map((t) => t.name),
        ['idb'],
      );
      const keys = await indexedDbStore('hush', factory).keys('carol/');
      assert.deepEqual(keys.sort(), ['carol/identity', 'carol/state']);
    });
  });
