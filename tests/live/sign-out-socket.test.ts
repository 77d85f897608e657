import { describe, expect, it } from 'vitest';
import { createTestApp } from '../support/app.js';
import { connected, runOnSocket, wsClient } from '../support/live.js';
import { gid, makeMember } from '../support/scenario.js';

// Attack of stop 24 (finding 5; older than f4562ef, found while attacking it: rights end at once). `forgetSessionsAfter` drops the sessions kept for HTTP requests and
// new sockets before a mutation's answer is sent, but not the session a graphql-ws socket holds: that one ends only
// when this instance applies the `session.revoked` event (`Lifecycle.#apply` -> `connection.endSession`). On an instance
// whose bus has not applied the event yet (the same setup as tests/api/session-cache's last test: a bus that applies
// nothing), the very socket that signed out, after its `signOut: true`, still runs operations as the member.
describe('A sign-out sent over a graphql-ws socket, before this instance applies its event', () => {
  it('should leave the socket anonymous for its next operation', async () => {
    const own = await createTestApp();
    const url = await own.app.start();
    try {
      own.app.events.stop();
      const member = await makeMember(own.db.prisma);
      const token = await own.tokenFor(member.id);
      const socket = wsClient(url, token, { lazy: false });
      try {
        await connected(socket);
        expect(await runOnSocket(socket, '{ viewer { id } }')).toMatchObject({
          data: { viewer: { id: gid('Member', member.id) } },
        });
        expect(await runOnSocket(socket, 'mutation { signOut }')).toMatchObject({ data: { signOut: true } });
        // HTTP is refused at once (held).
        expect((await own.gql('{ viewer { id } }', {}, token)).data).toEqual({ viewer: null });
        // Before: { viewer: { id } } — the socket's session survives its own acknowledged sign-out.
        expect((await runOnSocket(socket, '{ viewer { id } }')).data).toEqual({ viewer: null });
      } finally {
        await socket.dispose();
      }
    } finally {
      await own.close();
    }
  }, 120_000);
});
