/** The sign-in form for an actor's admins. */
import { html } from '../html.ts';
import { layout } from '../layout.ts';
import { csrfField, errorBox, field } from './forms.ts';

export function renderLoginPage(options: { csrf: string; actor: string; error?: string }): string {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
${errorBox(options.error)}
<form method="post" action="/login">
${csrfField(options.csrf)}
${field('Collective or host', 'actor', { value: options.actor, required: true })}
${field('User name', 'username', { required: true, autocomplete: 'username' })}
${field('Password', 'password', { type: 'password', required: true, autocomplete: 'current-password' })}
<button type="submit">Sign in</button>
</form>`,
  );
}
