import { setTimeout as sleep } from 'node:timers/promises';
import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import { Access } from '../auth/access.js';
import { verifyPassword } from '../auth/password.js';
import { openSession } from '../auth/sessions.js';
import { builder } from '../builder.js';
import { InvalidCredentialsError } from '../errors.js';
import { recordEvent } from '../events/record.js';

// Compared against when the email is unknown, so both failures take the same time.
const DUMMY_HASH = 'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

const SignInPayload = builder.objectRef<{ token: string; expiresAt: Date; memberId: string }>('SignInPayload').implement({
  description: 'A new session.',
  fields: (t) => ({
    token: t.exposeString('token', {
      description: 'Send it as `Authorization: Bearer <token>` (or `authorization` in graphql-ws connection params). Shown once.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the session ends unless you sign in again.' }),
  }),
});

builder.objectField(SignInPayload, 'member', (t) =>
  t.prismaField({
    type: 'Member',
    description: 'The member signed in.',
    skipTypeScopes: true,
    resolve: (query, payload, _args, context) =>
      context.prisma.member.findUniqueOrThrow({ ...query, where: { id: payload.memberId } }),
  }),
);

builder.mutationFields((t) => ({
  signIn: t.field({
    type: SignInPayload,
    description: 'Signs in with email and password and opens a session. The only operation open to anonymous callers.',
    skipTypeScopes: true,
    errors: { types: [InvalidCredentialsError, InputValidationError] },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('SignInInput', {
          description: 'Credentials.',
          fields: (f) => ({
            email: f.string({
              required: true,
              description: 'Email address.',
              validate: z.string().trim().toLowerCase().email('Not an email address.').max(254),
            }),
            password: f.string({
              required: true,
              description: 'Password.',
              validate: z.string().min(1, 'Enter your password.').max(1024),
            }),
          }),
        }),
      }),
    },
    resolve: async (_root, { input }, context) => {
      const email = input.email.trim().toLowerCase();
      // Locked accounts and addresses are refused before any hashing (RATE_LIMITED, limits/callers.ts).
      const guard = context.signInGuard;
      await guard.check(email, context.clientAddress);
      const member = await context.prisma.member.findUnique({ where: { email } });
      const valid = await guard.hash(() => verifyPassword(input.password, member?.passwordHash ?? DUMMY_HASH));
      if (!member || !valid || member.situation !== 'ACTIVE') {
        // Past its account's failures across addresses, a failure is answered late (slowing, not locking).
        const delayMs = await guard.failed(email, context.clientAddress);
        if (delayMs > 0) await sleep(delayMs);
        throw new InvalidCredentialsError();
      }
      await guard.succeeded(email, context.clientAddress);
      const { token, session } = await openSession(context.prisma, member.id, context.config.sessionTtlMs);
      // The rest of this request (e.g. the payload's member) is read as the member who just signed in.
      context.session = { sessionId: session.id, expiresAt: session.expiresAt, member };
      context.access = await Access.forViewer(context.prisma, member);
      return { token, expiresAt: session.expiresAt, memberId: member.id };
    },
  }),
  signOut: t.boolean({
    description: 'Ends the current session; its token stops working at once.',
    resolve: async (_root, _args, context) => {
      const session = context.session;
      if (!session) return false;
      await context.prisma.$transaction(async (tx) => {
        await tx.session.update({ where: { id: session.sessionId }, data: { revokedAt: new Date() } });
        // Live subscriptions opened with this session end when this event reaches them.
        await recordEvent(tx, {
          type: 'session.revoked',
          subject: { typename: 'Member', id: session.member.id },
          actorId: session.member.id,
          payload: { sessionId: session.sessionId },
        });
      });
      // Committed: this socket (and every stream of the session here) stops acting for it before the answer is sent.
      context.live.endSession(session.sessionId);
      return true;
    },
  }),
}));
