import { type FormEvent, useId, useRef, useState } from 'react';
import { useMutation } from 'urql';
import { messageOf } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { FocusHeading } from '../../ui/FocusHeading';
import { Notice } from '../../ui/Notice';
import { usePageTitle } from '../../ui/usePageTitle';

const SIGN_IN = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    signIn(input: { email: $email, password: $password }) {
      __typename
      ... on MutationSignInSuccess {
        data {
          token
          member {
            id
            displayName
          }
        }
      }
      ... on Error {
        message
      }
    }
  }
`);

interface SignInProps {
  onSignedIn(token: string): void;
  /** Shown above the form, e.g. when the previous session expired. */
  notice?: string | null;
  focusOnMount?: boolean;
}

export function SignIn({ onSignedIn, notice, focusOnMount }: SignInProps) {
  const id = useId();
  usePageTitle(fr.signIn.title);
  const [{ fetching }, signIn] = useMutation(SIGN_IN);
  const [error, setError] = useState<string | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const errorId = `${id}-error`;

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (fetching) return;
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    if (!email || !password) {
      setError(fr.signIn.missingFields);
      emailRef.current?.focus();
      return;
    }
    setError(null);
    const result = await signIn({ email, password });
    const payload = result.data?.signIn;
    if (payload?.__typename === 'MutationSignInSuccess') {
      onSignedIn(payload.data.token);
    } else if (payload?.__typename === 'InvalidCredentialsError') {
      setError(fr.signIn.invalidCredentials);
      emailRef.current?.focus();
    } else {
      // The server's words are never shown: its code, kind or issue, in the web app's French.
      setError(messageOf(payload, result.error));
    }
  }

  return (
    <section className="card sign-in" aria-labelledby={`${id}-title`}>
      <FocusHeading id={`${id}-title`} focusOnMount={focusOnMount}>
        {fr.signIn.title}
      </FocusHeading>
      <p className="muted">{fr.signIn.intro}</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <form className="stack" onSubmit={handleSubmit} noValidate aria-describedby={error ? errorId : undefined}>
        <div className="field">
          <label htmlFor={`${id}-email`}>{fr.signIn.email}</label>
          <input
            ref={emailRef}
            id={`${id}-email`}
            name="email"
            type="email"
            autoComplete="username"
            inputMode="email"
            required
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>{fr.signIn.password}</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
          />
        </div>
        {error ? (
          <Notice id={errorId} tone="error">
            {error}
          </Notice>
        ) : null}
        <button type="submit" className="button button--primary" aria-disabled={fetching}>
          {fetching ? fr.signIn.submitting : fr.signIn.submit}
        </button>
      </form>
    </section>
  );
}
