/**
 * A tiny YAML writer for service configuration files: nested mappings, sequences, strings,
 * numbers and booleans. Strings are written double-quoted with JSON escapes, which YAML accepts.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function isMapping(value: YamlValue): value is { [key: string]: YamlValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function key(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) ? name : JSON.stringify(name);
}

function lines(value: YamlValue, indent: string): string[] {
  const out: string[] = [];
  if (isMapping(value)) {
    for (const [name, child] of Object.entries(value)) {
      if (isMapping(child) && Object.keys(child).length > 0) {
        out.push(`${indent}${key(name)}:`, ...lines(child, `${indent}  `));
      } else if (Array.isArray(child) && child.length > 0) {
        out.push(`${indent}${key(name)}:`, ...lines(child, `${indent}  `));
      } else if (isMapping(child)) {
        out.push(`${indent}${key(name)}: {}`);
      } else if (Array.isArray(child)) {
        out.push(`${indent}${key(name)}: []`);
      } else {
        out.push(`${indent}${key(name)}: ${scalar(child)}`);
      }
    }
  } else if (Array.isArray(value)) {
    for (const child of value) {
      if (isMapping(child) || Array.isArray(child)) {
        const nested = lines(child, `${indent}  `);
        out.push(`${indent}- ${nested[0]?.trimStart() ?? '{}'}`, ...nested.slice(1));
      } else {
        out.push(`${indent}- ${scalar(child)}`);
      }
    }
  } else {
    out.push(`${indent}${scalar(value)}`);
  }
  return out;
}

/** Serialises a configuration object as a YAML document. */
export function toYaml(value: { [key: string]: YamlValue }): string {
  return `${lines(value, '').join('\n')}\n`;
}

/** Merges `patch` into `base` (mappings recursively; anything else replaces), returning a new object. */
export function mergeConfig(
  base: { [key: string]: YamlValue },
  patch: { [key: string]: YamlValue },
): { [key: string]: YamlValue } {
  const out: { [key: string]: YamlValue } = { ...base };
  for (const [name, value] of Object.entries(patch)) {
    const current = out[name];
    out[name] =
      current !== undefined && isMapping(current) && isMapping(value) ? mergeConfig(current, value) : value;
  }
  return out;
}
