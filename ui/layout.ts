/** The frame every page shares: no scripts needed, one small inline-free stylesheet. */
import { html, type SafeHtml } from './html.ts';

const STYLE = `body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.amount{text-align:right;font-variant-numeric:tabular-nums}label{display:block;margin:.6rem 0 .2rem}
input,select,textarea{font:inherit;padding:.3rem;width:100%;max-width:28rem;box-sizing:border-box}
button{font:inherit;padding:.4rem 1rem;margin-top:.8rem}.error{color:#a00}.muted{color:#666}nav a{margin-right:1rem}`;

/** A complete page; `body` must be `SafeHtml` (built with `html`). */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Cagnotte</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<nav><a href="/">Cagnotte</a><a href="/docs">API</a></nav>
<main>
${body}
</main>
</body>
</html>
`.value;
}

/** The stylesheet served at /assets/style.css (kept out of the page so the CSP can forbid inline styles). */
export const STYLESHEET = STYLE;
