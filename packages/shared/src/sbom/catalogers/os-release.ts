/**
 * The distribution of an image, identified as syft does (`syft/linux/identify_release.go`):
 * `/etc/os-release`, then `/usr/lib/os-release`; for Debian, `/etc/debian_version` supplies the
 * point release (`12.7` rather than `12`) when it is a plain number.
 */
import type { FileRecord } from '../filetree.ts';
import type { Distro } from '../types.ts';

/** The files the distro detection reads. */
export const OS_RELEASE_GLOBS = ['etc/os-release', 'usr/lib/os-release', 'etc/debian_version'] as const;

/** Parses os-release `KEY=value` lines (values optionally quoted, with shell escapes). */
export function parseOsRelease(text: string): Distro | undefined {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    let value = m[2]!.trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\([$"`\\])/g, '$1');
    }
    values.set(m[1]!, value);
  }
  const id = values.get('ID');
  if (!id && !values.get('NAME')) return undefined;
  return {
    id: id ?? '',
    ...(values.get('VERSION_ID') && { versionId: values.get('VERSION_ID') }),
    ...(values.get('VERSION_CODENAME') && { codename: values.get('VERSION_CODENAME') }),
    ...(values.get('BUILD_ID') && { buildId: values.get('BUILD_ID') }),
    ...(values.get('PRETTY_NAME') && { prettyName: values.get('PRETTY_NAME') }),
    idLike: (values.get('ID_LIKE') ?? '').split(' ').filter(Boolean),
  };
}

/** The distro of a filesystem from its (walked) files, or `undefined` when none says. */
export function identifyDistro(files: ReadonlyMap<string, FileRecord>): Distro | undefined {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const file = files.get(path);
    const distro = file && parseOsRelease(file.content.toString('utf8'));
    if (!distro) continue;
    if (distro.id.toLowerCase() === 'debian') {
      const version = files.get('/etc/debian_version')?.content.toString('utf8').trim();
      if (version && /^\d+(?:\.\d+)?$/.test(version)) distro.versionId = version;
    }
    return distro;
  }
  return undefined;
}
