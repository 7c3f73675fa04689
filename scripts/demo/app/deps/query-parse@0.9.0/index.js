// Parses a=1&b=2 into { a: '1', b: '2' }, nested keys too (a[b]=1 into { a: { b: '1' } }).
// The nested keys are followed as given, __proto__ included: ?__proto__[admin]=1 sets admin on
// every object of the process (the demo's advisory DEMO-2026-0002, prototype pollution).
export function parseQuery(text) {
  const out = {};
  for (const pair of text.split('&').filter(Boolean)) {
    const [rawKey, rawValue = ''] = pair.split('=');
    const keys = decodeURIComponent(rawKey)
      .split(/[[\]]+/)
      .filter(Boolean);
    if (keys.length === 0) continue;
    let node = out;
    for (const key of keys.slice(0, -1)) node = node[key] ??= {};
    node[keys.at(-1)] = decodeURIComponent(rawValue);
  }
  return out;
}
