/** The first page of a fresh node: create the first collective (or host) and its admin. */
import { html } from '../html.ts';
import { layout } from '../layout.ts';
import { csrfField, errorBox, field } from './forms.ts';

export interface SetupValues {
  name?: string;
  currency?: string;
  host?: boolean;
  username?: string;
  email?: string;
}

export function renderSetupPage(options: {
  csrf: string;
  origin: string;
  values?: SetupValues;
  error?: string;
}): string {
  const v = options.values ?? {};
  return layout(
    'Set up this node',
    html`<h1>Set up this node</h1>
<p>This node at <code>${options.origin}</code> has no collective yet. Create the first one (or a fiscal host) and its first admin.</p>
${errorBox(options.error)}
<form method="post" action="/setup">
${csrfField(options.csrf)}
<fieldset><legend>Collective</legend>
${field('Name (lowercase letters, digits and dashes; it becomes the address)', 'name', { value: v.name, required: true })}
${field('Currency (ISO 4217, e.g. EUR)', 'currency', { value: v.currency ?? 'EUR', required: true })}
<label><input type="checkbox" name="host" value="1"${v.host ? html` checked` : ''} style="width:auto"> This is a fiscal host, not a collective</label>
</fieldset>
<fieldset><legend>First admin</legend>
${field('User name', 'username', { value: v.username, required: true, autocomplete: 'username' })}
${field('E-mail (optional)', 'email', { type: 'email', value: v.email, autocomplete: 'email' })}
${field('Password (at least 12 characters)', 'password', { type: 'password', required: true, autocomplete: 'new-password' })}
</fieldset>
<button type="submit">Create</button>
</form>`,
  );
}
