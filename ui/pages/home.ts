/** The node's front page once it has actors: a list of them. */
import { html, path } from '../html.ts';
import { layout } from '../layout.ts';

export function renderHomePage(actors: { name: string; type: string; currency: string }[]): string {
  return layout(
    'Collectives',
    html`<h1>On this node</h1>
<ul>
${actors.map(
  (a) =>
    html`<li><a href="${path('/actors/{name}', { name: a.name })}">${a.name}</a> <span class="muted">${a.type === 'Organization' ? 'fiscal host' : 'collective'}, ${a.currency}</span></li>`,
)}
</ul>
<p><a href="/login">Sign in</a></p>`,
  );
}
