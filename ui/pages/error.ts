/** The HTML page shown when a form or page request fails. */
import { html } from '../html.ts';
import { layout } from '../layout.ts';

export function renderErrorPage(error: { code: string; message: string }): string {
  return layout(
    'Error',
    html`<h1>Something is not right</h1>
<p class="error">${error.message}</p>
<p class="muted">Code: ${error.code}</p>
<p><a href="/">Back to the start</a></p>`,
  );
}
