/**
 * The `pom.xml` a Maven build copies into `META-INF/maven/<groupId>/<artifactId>/`, read for what
 * syft's java-archive-cataloger takes from it without the network (its default): the project's
 * coordinates, its parent's, its name and its licenses, with `${…}` references resolved as syft's
 * `internal/maven/resolver.go` resolves them offline: `project.*` fields (`project.version` falls
 * back to the parent's version) and the pom's own `<properties>`; a reference that does not
 * resolve (a parent's property, `env.*`, a cycle) empties the whole value, as in syft.
 */

/** The parts of a pom the cataloger uses, values as written (not resolved). */
export interface PomXml {
  /** Path of the file inside its archive. */
  path: string;
  groupId?: string;
  artifactId?: string;
  version?: string;
  name?: string;
  parent?: { groupId?: string; artifactId?: string; version?: string };
  licenses: Array<{ name?: string; url?: string }>;
  properties: Map<string, string>;
  /** Text of the other elements below `<project>` by dotted path (`build.finalName`), first occurrence, for `${project.…}`. */
  fields: Map<string, string>;
}

/** A pom's coordinates after resolution (syft's `maven.ID`), and its parent's. */
export interface PomCoordinates {
  groupId: string;
  artifactId: string;
  version: string;
  parent?: { groupId: string; artifactId: string; version: string };
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[e] ?? whole;
  });
}

/** The text of a pom: UTF-16 by its byte order mark, else the encoding its XML declaration names, else UTF-8. */
function decodePom(buf: Buffer): string {
  if (buf[0] === 0xff && buf[1] === 0xfe) return new TextDecoder('utf-16le').decode(buf.subarray(2));
  if (buf[0] === 0xfe && buf[1] === 0xff) return new TextDecoder('utf-16be').decode(buf.subarray(2));
  const head = buf.subarray(0, 200).toString('latin1');
  const label = /^(?:\uFEFF|\xEF\xBB\xBF)?<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/.exec(head)?.[1];
  if (label && !/^utf-?8$/i.test(label)) {
    try {
      return new TextDecoder(label).decode(buf);
    } catch {
      // an encoding Node does not know: read it as UTF-8
    }
  }
  return buf.toString('utf8').replace(/^\uFEFF/, '');
}

const MAX_FIELD_DEPTH = 4;

/**
 * Parses a pom (a small XML reader: comments, CDATA, processing instructions and DOCTYPE are
 * skipped, namespace prefixes dropped). `undefined` when it is not well-formed or its root is not
 * `<project>`, as Go's decoder refuses it.
 */
export function parsePomXml(path: string, buf: Buffer): PomXml | undefined {
  const text = decodePom(buf);
  const pom: PomXml = { path, licenses: [], properties: new Map(), fields: new Map() };
  const stack: string[] = [];
  const texts: string[] = [];
  let sawRoot = false;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      if (stack.length > 0) return undefined;
      break;
    }
    if (stack.length > 0) texts[texts.length - 1] += decodeEntities(text.slice(i, lt));
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) return undefined;
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end < 0) return undefined;
      if (stack.length > 0) texts[texts.length - 1] += text.slice(lt + 9, end);
      i = end + 3;
    } else if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else if (text.startsWith('<!', lt)) {
      // DOCTYPE, possibly with an internal subset in brackets.
      const bracket = text.indexOf('[', lt);
      const close = text.indexOf('>', lt);
      if (close < 0) return undefined;
      const end = bracket >= 0 && bracket < close ? text.indexOf(']', bracket) : close;
      i = (end < 0 ? -1 : text.indexOf('>', end)) + 1;
      if (i === 0) return undefined;
    } else {
      const gt = text.indexOf('>', lt);
      if (gt < 0) return undefined;
      const tag = text.slice(lt + 1, gt);
      i = gt + 1;
      if (tag.startsWith('/')) {
        const name = localName(tag.slice(1).trim());
        if (stack.at(-1) !== name) return undefined;
        record(pom, stack, texts.pop()!);
        stack.pop();
        continue;
      }
      const selfClosing = tag.endsWith('/');
      const name = localName(/^[^\s/]+/.exec(tag)?.[0] ?? '');
      if (!name) return undefined;
      if (stack.length === 0) {
        if (sawRoot || name !== 'project') return undefined;
        sawRoot = true;
      }
      stack.push(name);
      texts.push('');
      if (stack.length === 2 && name === 'parent') pom.parent ??= {};
      if (stack.length === 3 && stack[1] === 'licenses' && name === 'license') pom.licenses.push({});
      if (selfClosing) {
        record(pom, stack, texts.pop()!);
        stack.pop();
      }
    }
  }
  return sawRoot && stack.length === 0 ? pom : undefined;
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon >= 0 ? qname.slice(colon + 1) : qname;
}

/** Keeps an element's text where the pom model has it (`stack` is the element's path from `project`). */
function record(pom: PomXml, stack: string[], raw: string): void {
  const value = raw.trim();
  const [, a, b, c] = stack;
  const depth = stack.length;
  if (depth === 2) {
    if (a === 'groupId') pom.groupId ??= value;
    else if (a === 'artifactId') pom.artifactId ??= value;
    else if (a === 'version') pom.version ??= value;
    else if (a === 'name') pom.name ??= value;
  } else if (depth === 3 && a === 'parent' && pom.parent) {
    if (b === 'groupId' || b === 'artifactId' || b === 'version') pom.parent[b] ??= value;
  } else if (depth === 3 && a === 'properties') {
    pom.properties.set(b!, value);
  } else if (depth === 4 && a === 'licenses' && b === 'license' && (c === 'name' || c === 'url')) {
    const last = pom.licenses.at(-1);
    if (last) last[c] ??= value;
  }
  if (depth >= 2 && depth <= MAX_FIELD_DEPTH && a !== 'properties') {
    const key = stack.slice(1).join('.');
    if (!pom.fields.has(key)) pom.fields.set(key, value);
  }
}

class Unresolved extends Error {}

const EXPRESSION = /\$\{[^}]+\}/g;

/** Resolves the `${…}` references of `value` against `pom`; '' when any does not resolve (or `value` is absent). */
export function resolvePomValue(pom: PomXml, value: string | undefined): string {
  if (value === undefined) return '';
  try {
    return resolveExpression(pom, value, []);
  } catch (err) {
    if (err instanceof Unresolved) return '';
    throw err;
  }
}

function resolveExpression(pom: PomXml, value: string, resolving: string[]): string {
  return value.replace(EXPRESSION, (match) => resolveProperty(pom, match.slice(2, -1).trim(), resolving));
}

function resolveProperty(pom: PomXml, expression: string, resolving: string[]): string {
  if (resolving.includes(expression) || resolving.length > 32) throw new Unresolved(expression);
  const inner = [...resolving, expression];
  const parts = expression.split('.');
  if (parts.length > 1 && parts[0]!.trim() === 'project') {
    const field = parts.slice(1).join('.');
    if (field === 'version' && pom.version === undefined && pom.parent?.version !== undefined)
      return resolveExpression(pom, pom.parent.version, inner);
    const own = pom.fields.get(field);
    if (own) return resolveExpression(pom, own, inner);
  }
  const property = pom.properties.get(expression);
  if (property !== undefined) return resolveExpression(pom, property, inner);
  // The parent pom would be next, but offline syft cannot fetch it.
  throw new Unresolved(expression);
}

/** syft's `ResolveID` (groupId and version inherited from `<parent>` when the pom has none) and `pomParent`. */
export function pomCoordinates(pom: PomXml): PomCoordinates {
  let groupId = resolvePomValue(pom, pom.groupId);
  const artifactId = resolvePomValue(pom, pom.artifactId);
  let version = resolvePomValue(pom, pom.version);
  let parent: PomCoordinates['parent'];
  if (pom.parent) {
    if (groupId === '' && !pom.groupId) groupId = resolvePomValue(pom, pom.parent.groupId);
    if (version === '' && !pom.version) version = resolvePomValue(pom, pom.parent.version);
    const p = {
      groupId: resolvePomValue(pom, pom.parent.groupId),
      artifactId: resolvePomValue(pom, pom.parent.artifactId),
      version: resolvePomValue(pom, pom.parent.version),
    };
    if (p.groupId || p.artifactId || p.version) parent = p;
  }
  return { groupId, artifactId, version, ...(parent && { parent }) };
}

/**
 * The licenses a pom declares itself (a parent's are out of reach offline): the name as written,
 * or the URL when there is no name, for each `<license>` whose name or URL resolves to something.
 */
export function pomLicenses(pom: PomXml): string[] {
  const out: string[] = [];
  for (const l of pom.licenses) {
    if (!resolvePomValue(pom, l.name) && !resolvePomValue(pom, l.url)) continue;
    const value = l.name || l.url;
    if (value) out.push(value);
  }
  return out;
}
