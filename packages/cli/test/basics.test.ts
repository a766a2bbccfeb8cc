/** The binary without a relay: version, help, usage errors, completion, `hush server`. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup, hush, oneLine, spawnHushServer, tempDir } from './helpers.js';

describe('hush basics', () => {
  const home = tempDir('basics');
  after(() => cleanup(home));

  it('--version prints the version alone', async () => {
    const r = await hush(home, ['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('--help lists the commands, global options and exit codes', async () => {
    const r = await hush(home, ['--help']);
    assert.equal(r.code, 0);
    for (const w of [
      'init',
      'team',
      'join',
      'send',
      'inbox',
      'watch',
      'server',
      'completion',
      '--json',
      '--home',
      '--server',
      '--insecure-transport',
      'Exit codes',
      'Examples',
    ]) {
      assert.ok(r.stdout.includes(w), `help mentions ${w}`);
    }
  });

  it('every command has help with examples', async () => {
    for (const c of [
      ['init'],
      ['whoami'],
      ['fingerprint'],
      ['team', 'create'],
      ['team', 'invite'],
      ['join'],
      ['send'],
      ['inbox'],
      ['read'],
      ['ack'],
      ['thread'],
      ['watch'],
      ['completion'],
      ['agent', 'create'],
      ['agent', 'allow-secrets'],
    ]) {
      const r = await hush(home, [...c, '--help']);
      assert.equal(r.code, 0, c.join(' '));
      assert.match(r.stdout, /Examples:\n {2}\S/, `${c.join(' ')} has examples`);
    }
  });

  it('usage errors exit 2 with one line', async () => {
    for (const args of [
      ['bogus'],
      ['--bogus'],
      ['send'],
      ['send', 'core'],
      ['send', 'core', 'x', '--type', 'nope'],
      ['team', 'invite', 'core', '--expires', 'soon'],
      ['completion', 'tcsh'],
      ['inbox', 'extra'],
    ]) {
      const r = await hush(home, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(oneLine(r), /^hush: /);
    }
  });

  it('never prompts when stdin is not a terminal: a missing value is a usage error', async () => {
    const r = await hush(home, ['init', '--server', 'http://127.0.0.1:1']);
    assert.equal(r.code, 2);
    assert.match(oneLine(r), /--name/);
  });

  it('ids that start with "-" are values, not options', async () => {
    const id16 = '-AAAAAAAAAAAAAAAAAAAAA';
    const id32 = `-${'B'.repeat(42)}`;
    for (const args of [
      ['read', id16],
      ['team', 'add', 'core', id32],
      ['send', 'core', 'x', '--reply-to', id16],
    ]) {
      const r = await hush(home, args);
      // parsed fine, then refused for the missing identity (8), not as an unknown option (2)
      assert.equal(r.code, 8, `${args.join(' ')}: ${r.stderr}`);
    }
  });

  it('prints completion scripts for bash, zsh and fish', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await hush(home, ['completion', shell]);
      assert.equal(r.code, 0);
      assert.ok(r.stdout.includes('hush'));
      assert.ok(r.stdout.includes('inbox'));
    }
  });

  it('hush server --help lists every hush-server option', async () => {
    const r = await hush(home, ['server', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: hush server \[OPTIONS\]/);
    for (const o of [
      '--host',
      '--port',
      '--data-dir',
      '--database-url',
      '--tls-cert',
      '--registration',
      '--log-level',
      '--rate-limit',
    ]) {
      assert.ok(r.stdout.includes(o), o);
    }
  });

  it('hush server refuses a bad option with exit 2 and one line', async () => {
    const r = await hush(home, ['server', '--port', 'many']);
    assert.equal(r.code, 2);
    assert.match(oneLine(r), /--port/);
  });

  it('hush server serves the relay', async () => {
    const data = tempDir('srv');
    const s = await spawnHushServer(['--port', '0', '--data-dir', data, '--log-level', 'warn']);
    try {
      const res = await fetch(`${s.url}/healthz`);
      assert.equal(res.status, 200);
    } finally {
      assert.equal(await s.stop(), 0);
      cleanup(data);
    }
  });
});
