import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Hush, LocalStateError, UsageError } from '../src/index.js';
import { spawnServer, Storage, type ServerProcess } from './harness.js';

describe('init and open', () => {
  let storage: InstanceType<typeof Storage>;
  let server: ServerProcess;
  before(async () => {
    storage = new Storage('sqlite');
    server = await spawnServer(storage);
  });
  after(async () => {
    await server.stop();
    await storage.destroy();
  });

  it('round-trips an identity without a passphrase, files 0600', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hush-home-'));
    const a = await Hush.init({ home, server: server.url, name: 'alice' });
    const who = a.whoami();
    assert.equal(who.kind, 'human');
    assert.match(who.fingerprint, /^(\d{5} ){5}\d{5}$/);
    assert.equal(statSync(join(home, 'identity.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'state.json')).mode & 0o777, 0o600);
    const b = await Hush.open({ home });
    assert.deepEqual(b.whoami(), who);
    await assert.rejects(Hush.init({ home, server: server.url, name: 'x' }), LocalStateError);
    assert.deepEqual(await b.teams.list(), []);
  });

  it('wraps with a passphrase and refuses a wrong or missing one', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hush-home-'));
    const a = await Hush.init({
      home,
      server: server.url,
      name: 'bob',
      passphrase: 'correct horse',
    });
    const raw = readFileSync(join(home, 'identity.json'), 'utf8');
    assert.ok(!raw.includes('sigSeed'));
    assert.ok(!readFileSync(join(home, 'state.json'), 'utf8').includes('"c:'));
    await assert.rejects(Hush.open({ home, passphrase: 'wrong' }), LocalStateError);
    await assert.rejects(Hush.open({ home }), LocalStateError);
    const b = await Hush.open({ home, passphrase: 'correct horse' });
    assert.equal(b.whoami().principalId, a.whoami().principalId);
    const t = await b.teams.create('wrapped');
    const c = await Hush.open({ home, passphrase: 'correct horse' });
    assert.equal((await c.teams.list())[0]?.name, 'wrapped');
    assert.equal(t.name, 'wrapped');
  });

  it('refuses plain http to a remote host unless allowed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hush-home-'));
    await assert.rejects(Hush.init({ home, server: 'http://example.com', name: 'x' }), UsageError);
  });

  it('creates an agent sponsored by a human', async () => {
    const h = await Hush.init({
      home: mkdtempSync(join(tmpdir(), 'hush-home-')),
      server: server.url,
      name: 'h',
    });
    const ag = await Hush.init({
      home: mkdtempSync(join(tmpdir(), 'hush-home-')),
      server: server.url,
      name: 'bot',
      agent: { sponsor: h.whoami().principalId },
    });
    assert.equal(ag.whoami().kind, 'agent');
    assert.equal(h.fingerprint(ag.whoami().principalId), ag.fingerprint(h.whoami().principalId));
  });
});
