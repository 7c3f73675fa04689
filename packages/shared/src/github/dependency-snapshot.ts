/**
 * An SBOM's packages as a snapshot for GitHub's dependency submission API
 * (`POST /repos/{owner}/{repo}/dependency-graph/snapshots`), which puts them in the repository's
 * dependency graph and so under Dependabot alerts. Pure: the action supplies the job's facts and
 * submits the body.
 *
 * Manifests: an image is one manifest named after the image; a directory has one manifest per
 * file its packages were read from (a lockfile or package database), `source_location` being that
 * file's path in the repository, and the packages read from no file in one named after the
 * directory. Each manifest resolves its packages by purl (a package without one is left out: the
 * API identifies packages by purl); a package that another in the same manifest depends on is
 * `indirect`, any other `direct`, and `dependencies` lists the purls each depends on.
 *
 * A lockfile's own project (package-lock.json's root package, a Cargo.lock's own crate) is not a
 * dependency: in a file's manifest, the one package nothing depends on from which every other is
 * reached is the project, left out (its dependencies are the direct ones). Submitted, it would be
 * matched against the advisories of a public package of the same name.
 */
import { compareCodePoints } from '../compare.ts';
import type { Inventory, Package } from '../sbom/types.ts';

/** One resolved package of a manifest, as the API takes it. */
export interface SnapshotDependency {
  package_url: string;
  relationship: 'direct' | 'indirect';
  dependencies: string[];
}

export interface SnapshotManifest {
  name: string;
  file?: { source_location: string };
  metadata?: Record<string, string>;
  resolved: Record<string, SnapshotDependency>;
}

/** The request body of the dependency submission API. */
export interface DependencySnapshot {
  version: 0;
  sha: string;
  ref: string;
  job: { correlator: string; id: string; html_url?: string };
  detector: { name: string; version: string; url: string };
  /** ISO 8601. */
  scanned: string;
  manifests: Record<string, SnapshotManifest>;
}

export interface DependencySnapshotOptions {
  /** The commit the snapshot is of (`GITHUB_SHA`, 40 hex). */
  sha: string;
  /** The branch or tag ref (`GITHUB_REF`, `refs/heads/main`). */
  ref: string;
  /**
   * Groups snapshots over time: only the latest per correlator and detector counts. Make it as
   * unique as each detection in a workflow run is (workflow, job, and the image or directory).
   */
  correlator: string;
  /** The run (`GITHUB_RUN_ID`). */
  jobId: string;
  /** A link to the run. */
  jobUrl?: string;
  detector: { name: string; version: string; url: string };
  scanned: Date;
  /** For an image: the manifest's name (the image, e.g. `ghcr.io/acme/app`); default the source's name. */
  imageName?: string;
  /** For a directory: its path in the repository (`services/api`; empty for the root), prefixed to each file. */
  directoryInRepository?: string;
}

/** Joins repository path parts with `/`, without doubled or leading slashes. */
function repoPath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split(/[\\/]+/))
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/** The edges among `packages` (ids), from the inventory's relationships. */
function edgesAmong(packages: readonly Package[], inventory: Inventory): Map<string, Set<string>> {
  const here = new Set(packages.map((p) => p.id));
  const edges = new Map<string, Set<string>>();
  for (const r of inventory.relationships)
    if (here.has(r.from) && here.has(r.to) && r.from !== r.to)
      edges.set(r.from, (edges.get(r.from) ?? new Set()).add(r.to));
  return edges;
}

/** The project a lockfile describes, if its packages show one (see the module comment). */
function projectOf(packages: readonly Package[], inventory: Inventory): Package | undefined {
  if (packages.length < 2) return undefined;
  const edges = edgesAmong(packages, inventory);
  const targets = new Set([...edges.values()].flatMap((set) => [...set]));
  const tops = packages.filter((p) => !targets.has(p.id));
  if (tops.length !== 1) return undefined;
  const seen = new Set<string>([tops[0]!.id]);
  const queue = [tops[0]!.id];
  while (queue.length > 0)
    for (const next of edges.get(queue.pop()!) ?? [])
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
  return packages.every((p) => seen.has(p.id)) ? tops[0] : undefined;
}

function resolvedOf(packages: readonly Package[], inventory: Inventory): Record<string, SnapshotDependency> {
  const byId = new Map(inventory.packages.map((p) => [p.id, p]));
  const here = new Set(packages.map((p) => p.id));
  const dependsOn = new Map<string, Set<string>>();
  const dependedOn = new Set<string>();
  for (const r of inventory.relationships) {
    if (!here.has(r.from) || !here.has(r.to)) continue;
    const to = byId.get(r.to)?.purl;
    if (to) {
      const set = dependsOn.get(r.from) ?? new Set<string>();
      set.add(to);
      dependsOn.set(r.from, set);
    }
    dependedOn.add(r.to);
  }
  const resolved = new Map<string, SnapshotDependency>();
  for (const p of packages) {
    if (!p.purl) continue;
    const entry = resolved.get(p.purl) ?? { package_url: p.purl, relationship: 'indirect', dependencies: [] };
    // The same purl read twice (two copies in one manifest) is direct if either copy is.
    if (!dependedOn.has(p.id)) entry.relationship = 'direct';
    entry.dependencies = [...new Set([...entry.dependencies, ...(dependsOn.get(p.id) ?? [])])].sort(
      compareCodePoints,
    );
    resolved.set(p.purl, entry);
  }
  return Object.fromEntries([...resolved].sort(([a], [b]) => compareCodePoints(a, b)));
}

/** The snapshot of `inventory` (see the module comment). */
export function buildDependencySnapshot(
  inventory: Inventory,
  options: DependencySnapshotOptions,
): DependencySnapshot {
  const manifests: Record<string, SnapshotManifest> = {};
  const { source } = inventory;
  if (source.type === 'image') {
    const name = options.imageName ?? source.name;
    const metadata: Record<string, string> = {
      ...(source.digest && { digest: source.digest }),
      ...(source.platform && { platform: source.platform }),
    };
    manifests[name] = {
      name,
      ...(Object.keys(metadata).length > 0 && { metadata }),
      resolved: resolvedOf(inventory.packages, inventory),
    };
  } else {
    const dir = options.directoryInRepository ?? '';
    const byFile = new Map<string, Package[]>();
    const nowhere: Package[] = [];
    for (const p of inventory.packages) {
      const files = new Set(p.locations.map((l) => repoPath(dir, l.path)));
      if (files.size === 0) nowhere.push(p);
      for (const file of files) byFile.set(file, [...(byFile.get(file) ?? []), p]);
    }
    for (const file of [...byFile.keys()].sort(compareCodePoints)) {
      const found = byFile.get(file)!;
      const project = projectOf(found, inventory);
      const resolved = resolvedOf(
        found.filter((p) => p !== project),
        inventory,
      );
      if (Object.keys(resolved).length > 0)
        manifests[file] = { name: file, file: { source_location: file }, resolved };
    }
    if (nowhere.length > 0) {
      const name = repoPath(dir) || '.';
      const resolved = resolvedOf(nowhere, inventory);
      if (Object.keys(resolved).length > 0) manifests[name] = { name, resolved };
    }
  }
  return {
    version: 0,
    sha: options.sha,
    ref: options.ref,
    job: {
      correlator: options.correlator,
      id: options.jobId,
      ...(options.jobUrl && { html_url: options.jobUrl }),
    },
    detector: options.detector,
    scanned: options.scanned.toISOString(),
    manifests,
  };
}

/** How many packages a snapshot resolves, over all its manifests. */
export function snapshotPackageCount(snapshot: DependencySnapshot): number {
  return Object.values(snapshot.manifests).reduce((n, m) => n + Object.keys(m.resolved).length, 0);
}
