/**
 * SPDX license expressions: which license strings from package metadata are valid expressions
 * (so SPDX and CycloneDX can carry them as such) and which must travel as named licenses.
 */
// The SPDX subpath: the package root loads resource paths from `__dirname` (absent in ESM bundles).
import * as SPDX from '@cyclonedx/cyclonedx-library/SPDX';

const OPERATORS = new Set(['AND', 'OR', 'WITH']);

/**
 * Whether `value` is a valid SPDX license expression over known license ids (ids from the list
 * the CycloneDX library ships, with `+`, `LicenseRef-…` and `DocumentRef-…:LicenseRef-…`), joined
 * by AND / OR / WITH with balanced parentheses. Exception ids after WITH are not checked against a list.
 */
export function isSpdxExpression(value: string): boolean {
  const tokens = value
    .replace(/([()])/g, ' $1 ')
    .trim()
    .split(/\s+/);
  if (tokens.length === 0 || tokens[0] === '') return false;
  let depth = 0;
  let expectOperand = true;
  let afterWith = false;
  for (const t of tokens) {
    if (t === '(') {
      if (!expectOperand) return false;
      depth++;
    } else if (t === ')') {
      if (expectOperand || --depth < 0) return false;
    } else if (OPERATORS.has(t)) {
      if (expectOperand) return false;
      expectOperand = true;
      afterWith = t === 'WITH';
    } else {
      if (!expectOperand) return false;
      const ok = afterWith
        ? /^[A-Za-z0-9.-]+$/.test(t)
        : SPDX.isSupportedSpdxId(t.replace(/\+$/, '')) ||
          /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/.test(t);
      if (!ok) return false;
      expectOperand = false;
      afterWith = false;
    }
  }
  return depth === 0 && !expectOperand;
}

/** Throws unless `value` is a valid SPDX expression (the validator the CycloneDX license factory wants). */
export function assertSpdxExpression(value: string): void {
  if (!isSpdxExpression(value)) throw new RangeError(`not an SPDX license expression: ${value}`);
}
