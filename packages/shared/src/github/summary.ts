/**
 * Helpers for job summaries (GitHub-flavoured Markdown with HTML). `core.summary` writes cells as
 * raw HTML, so any text that came from a server or a user must be escaped first.
 */

/** Escapes text for an HTML element or attribute. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Shortens text to `max` characters on one line, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, Math.max(0, max - 1))}…`;
}
