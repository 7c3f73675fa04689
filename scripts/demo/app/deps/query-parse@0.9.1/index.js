// Parses a=1&b=2 into { a: '1', b: '2' }, nested keys too (a[b]=1 into { a: { b: '1' } }).
// 0.9.1 fixes DEMO-2026-0002: objects have no prototype, and __proto__, constructor and
// prototype are refused as keys.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function parseQuery(text) {
  const out = Object.create(null);
  for (const pair of text.split('&').filter(Boolean)) {
    const [rawKey, rawValue = ''] = pair.split('=');
    const keys = decodeURIComponent(rawKey)
      .split(/[[\]]+/)
      .filter(Boolean);
    if (keys.length === 0 || keys.some((key) => FORBIDDEN.has(key))) continue;
    let node = out;
    for (const key of keys.slice(0, -1)) node = node[key] ??= Object.create(null);
    node[keys.at(-1)] = decodeURIComponent(rawValue);
  }
  return out;
}
