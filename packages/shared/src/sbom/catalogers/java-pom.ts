/**
 * The `pom.xml` a Maven build copies into `META-INF/maven/<groupId>/<artifactId>/`, read for what
 * syft's java-archive-cataloger takes from it without the network (its default): the project's
 * coordinates, its parent's, its name and its licenses, with `${…}` references resolved as syft's
 * `internal/maven/resolver.go` resolves them offline: `project.*` fields (`project.version` falls
 * back to the parent's version) and the pom's own `<properties>`; a reference that does not
 * resolve (a parent's property, `env.*`, a cycle) empties the whole value, as in syft.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

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

/** Elements as fast-xml-parser gives them: text, or an object of children (repeated ones as arrays). */
type XmlNode = string | { [name: string]: XmlNode | XmlNode[] };

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true,
  // Values stay strings as written (`1.0` is not a number), entities decoded, whitespace trimmed.
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
});

const textOf = (node: XmlNode | XmlNode[] | undefined): string | undefined => {
  const first = Array.isArray(node) ? node[0] : node;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : typeof first['#text'] === 'string' ? first['#text'] : '';
};
const childrenOf = (node: XmlNode | XmlNode[] | undefined): Record<string, XmlNode | XmlNode[]> => {
  const first = Array.isArray(node) ? node[0] : node;
  return first !== undefined && typeof first === 'object' ? first : {};
};
const all = (node: XmlNode | XmlNode[] | undefined): XmlNode[] =>
  node === undefined ? [] : Array.isArray(node) ? node : [node];

/** The first text of every element below `<project>` by dotted path, down to MAX_FIELD_DEPTH, for `${project.…}`. */
function collectFields(
  node: Record<string, XmlNode | XmlNode[]>,
  prefix: string,
  depth: number,
  out: Map<string, string>,
) {
  for (const [name, value] of Object.entries(node)) {
    if (name === '#text' || (depth === 2 && name === 'properties')) continue;
    const key = prefix ? `${prefix}.${name}` : name;
    if (!out.has(key)) out.set(key, textOf(value) ?? '');
    if (depth < MAX_FIELD_DEPTH) collectFields(childrenOf(value), key, depth + 1, out);
  }
}

/**
 * Parses a pom with fast-xml-parser (attributes, comments, processing instructions and namespace
 * prefixes dropped). `undefined` when it is not well-formed XML or its root is not `<project>`,
 * as Go's decoder refuses it.
 */
export function parsePomXml(path: string, buf: Buffer): PomXml | undefined {
  const text = decodePom(buf);
  if (XMLValidator.validate(text) !== true) return undefined;
  const doc = parser.parse(text) as Record<string, XmlNode | XmlNode[]>;
  const roots = Object.keys(doc).filter((k) => k !== '#text');
  if (roots.length !== 1 || roots[0] !== 'project' || Array.isArray(doc.project)) return undefined;
  const project = childrenOf(doc.project);
  const parent = 'parent' in project ? childrenOf(project.parent) : undefined;
  const properties = new Map<string, string>();
  for (const [name, value] of Object.entries(childrenOf(project.properties)))
    if (name !== '#text') properties.set(name, textOf(all(value).at(-1)) ?? '');
  const fields = new Map<string, string>();
  collectFields(project, '', 2, fields);
  const field = (node: Record<string, XmlNode | XmlNode[]>, name: string) => textOf(node[name]);
  return {
    path,
    ...defined({
      groupId: field(project, 'groupId'),
      artifactId: field(project, 'artifactId'),
      version: field(project, 'version'),
      name: field(project, 'name'),
    }),
    ...(parent && {
      parent: defined({
        groupId: field(parent, 'groupId'),
        artifactId: field(parent, 'artifactId'),
        version: field(parent, 'version'),
      }),
    }),
    licenses: all(childrenOf(project.licenses).license).map((l) =>
      defined({ name: field(childrenOf(l), 'name'), url: field(childrenOf(l), 'url') }),
    ),
    properties,
    fields,
  };
}

/** `o` without its undefined values (the optional fields of the pom model are absent, not undefined). */
function defined<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: string;
  };
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
