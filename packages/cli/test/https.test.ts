/**
 * The real `hush` binary against a relay serving HTTPS with a self-signed certificate: the
 * Node transport verifies certificates (an unknown issuer is a network failure, exit 4) and
 * works once the certificate is trusted (NODE_EXTRA_CA_CERTS).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, harness, hush, oneLine, tempDir } from './helpers.js';

describe('hush over HTTPS', () => {
  const dir = tempDir('tls');
  const home = tempDir('tls-home');
  const cert = join(dir, 'cert.pem');
  const storage = new harness.Storage('sqlite');
  let server: Awaited<ReturnType<typeof harness.spawnServer>>;
  before(async () => {
    // prettier-ignore
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', cert, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    server = await harness.spawnServer(storage, [
      '--tls-cert',
      cert,
      '--tls-key',
      join(dir, 'key.pem'),
    ]);
  });
  after(async () => {
    await server.stop();
    await storage.destroy();
    cleanup(dir, home);
  });

  it('refuses a certificate it cannot verify (exit 4, one line)', async () => {
    const r = await hush(home, ['init', '--name', 'alice', '--server', server.url]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(oneLine(r), /unreachable/);
  });

  it('works end to end once the certificate is trusted', async () => {
    const env = { NODE_EXTRA_CA_CERTS: cert };
    const init = await hush(home, ['init', '--name', 'alice', '--server', server.url], { env });
    assert.equal(init.code, 0, init.stderr);
    assert.equal((await hush(home, ['team', 'create', 'tls'], { env })).code, 0);
    assert.equal((await hush(home, ['send', 'tls', 'over https'], { env })).code, 0);
    const inbox = await hush(home, ['inbox', '--json'], { env });
    assert.equal(inbox.code, 0, inbox.stderr);
    assert.deepEqual(
      (JSON.parse(inbox.stdout) as { text: string }[]).map((m) => m.text),
      ['over https'],
    );
  });
});
