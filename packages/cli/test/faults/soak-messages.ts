/**
 * The messages workload of the fault soak: every client is a writer in one team and sends
 * team messages; afterwards every client reads the team, verified by the SDK, and must see
 * each sent message exactly once (counted by object id), with the text it was sent with,
 * and nothing that was not sent.
 */
import type { Hush } from '@hush/client';
import type { Workload } from './soak-runner.js';

const text = (i: number, j: number) => `soak message ${j} from client ${i}`;

/** One team of all clients; client 0 creates it and invites the others. */
export const messages: Workload<string> = {
  name: 'messages',

  async setup(clients: readonly Hush[]): Promise<string> {
    const [owner, ...rest] = clients;
    if (!owner) throw new Error('the soak needs at least one client');
    const team = (await owner.teams.create('soak')).id;
    for (const c of rest) await c.join(await owner.teams.invite(team, { role: 'writer' }));
    return team;
  },

  async step(team, client, i, j) {
    const r = await client.messages.send(team, { text: text(i, j) });
    return { id: r.id, queued: r.queued };
  },

  async verify(team, clients, sent) {
    const expected = new Map<string, string>();
    sent.forEach((ids, i) => ids.forEach((id, j) => expected.set(id, text(i, j))));
    const problems: string[] = [];
    for (const [r, c] of clients.entries()) {
      const seen = new Map<string, number>();
      for (const m of await c.messages.inbox({ team })) {
        seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        const want = expected.get(m.id);
        if (want === undefined) problems.push(`client ${r} got ${m.id}, which nobody sent`);
        else if (m.text !== want) problems.push(`client ${r} got ${m.id} with other text`);
      }
      for (const id of expected.keys()) {
        const n = seen.get(id) ?? 0;
        if (n !== 1) problems.push(`client ${r} got ${id} ${n} times`);
      }
      for (const w of c.takeWarnings()) problems.push(`client ${r} warned: ${w}`);
      if (problems.length > 20) break;
    }
    if (problems.length > 0)
      throw new Error(
        `messages were not delivered exactly once:\n${problems.slice(0, 20).join('\n')}`,
      );
    return { messages: expected.size, reads: expected.size * clients.length };
  },
};
