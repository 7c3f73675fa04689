// key=value pairs on one line. Values are written as given: a value holding a newline starts a
// line of its own (the demo's advisory DEMO-2026-0001, log injection).
export function formatLine(record) {
  return Object.entries(record)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}
