/**
 * CSV in and out for the host's bookkeeping: bank statements are read with RFC 4180 quoting and
 * the delimiter the header line uses (`;` in most Belgian bank exports, `,` elsewhere); exports
 * are written with `,`, CRLF line ends, and every field that could be read as a formula by a
 * spreadsheet prefixed with `'` (CSV injection).
 */

/** Reads CSV text into rows of fields. The delimiter is the first of `;`, `,`, tab in the first line. */
export function parseCsv(text: string): string[][] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const firstLine = body.slice(0, body.search(/\r?\n|$/));
  const delimiter = [';', ',', '\t'].find((d) => firstLine.includes(d)) ?? ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

function cell(value: string | number | bigint): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes rows as CSV (header first), CRLF line ends. */
export function formatCsv(rows: readonly (readonly (string | number | bigint)[])[]): string {
  return `${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}
