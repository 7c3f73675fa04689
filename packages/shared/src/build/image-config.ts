/**
 * The image config assemble writes: the base's config (or a scratch one) with the new layers'
 * diff_ids and history appended and the requested settings applied as a Dockerfile would apply
 * them (ENV replaces a variable of the same name; ENTRYPOINT without CMD clears the base's CMD;
 * LABEL and EXPOSE add to the base's). Everything else of the base's config is kept as it is, in
 * its order, so the same base and inputs always give the same bytes.
 */
import type { Platform } from '../oci/types.ts';
import type { ConfigChanges } from './assemble-spec.ts';

/** A config document (image-spec `config.md`), as far as assemble reads and writes it. */
export type ImageConfigDocument = Record<string, unknown> & {
  config?: Record<string, unknown> | null;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: Array<Record<string, unknown>>;
};

/** A new layer's part in the config: its diff_id and the history line that made it. */
export interface ConfigLayer {
  diffId: string;
  createdBy: string;
}

/** `1970-01-01T00:00:00Z`: RFC 3339 without fractions, as Go tools write `created`. */
export function createdTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** The config of an image from scratch for `platform`: no layers, no settings yet. */
export function scratchConfig(platform: Platform): ImageConfigDocument {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined && { variant: platform.variant }),
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

/** The names of the settings `changes` makes, in input order, for history and the summary. */
export function changedSettings(changes: ConfigChanges): string[] {
  return [
    changes.entrypoint !== undefined && 'entrypoint',
    changes.cmd !== undefined && 'cmd',
    changes.env.length > 0 && 'env',
    changes.workdir !== undefined && 'workdir',
    changes.user !== undefined && 'user',
    changes.labels.length > 0 && 'labels',
    changes.exposedPorts.length > 0 && 'exposed-ports',
  ].filter((s): s is string => s !== false);
}

/** `base` (not modified) with `layers` appended and `changes` applied; `created` for the config and each history entry. */
export function applyConfig(
  base: ImageConfigDocument,
  changes: ConfigChanges,
  layers: readonly ConfigLayer[],
  created: string,
): ImageConfigDocument {
  const doc = JSON.parse(JSON.stringify(base)) as ImageConfigDocument;
  doc.created = created;
  const config: Record<string, unknown> = doc.config ?? {};
  doc.config = config;

  if (changes.env.length > 0) {
    const env = Array.isArray(config.Env) ? [...(config.Env as string[])] : [];
    for (const [name, value] of changes.env) {
      const at = env.findIndex((e) => e === name || e.startsWith(`${name}=`));
      if (at >= 0) env[at] = `${name}=${value}`;
      else env.push(`${name}=${value}`);
    }
    config.Env = env;
  }
  if (changes.entrypoint !== undefined) {
    setOrClear(config, 'Entrypoint', changes.entrypoint);
    // A Dockerfile's ENTRYPOINT resets the base's CMD unless CMD is given too.
    if (changes.cmd === undefined) delete config.Cmd;
  }
  if (changes.cmd !== undefined) setOrClear(config, 'Cmd', changes.cmd);
  if (changes.workdir !== undefined) config.WorkingDir = changes.workdir;
  if (changes.user !== undefined) config.User = changes.user;
  if (changes.labels.length > 0) {
    const labels = { ...(config.Labels as Record<string, string> | null | undefined) };
    for (const [name, value] of changes.labels) labels[name] = value;
    config.Labels = labels;
  }
  if (changes.exposedPorts.length > 0) {
    const ports = { ...(config.ExposedPorts as Record<string, object> | null | undefined) };
    for (const port of changes.exposedPorts) ports[port] = {};
    config.ExposedPorts = ports;
  }

  const rootfs = doc.rootfs ?? { type: 'layers' };
  doc.rootfs = {
    ...rootfs,
    type: 'layers',
    diff_ids: [...(rootfs.diff_ids ?? []), ...layers.map((l) => l.diffId)],
  };
  const history = [...(doc.history ?? [])];
  for (const layer of layers) history.push({ created, created_by: layer.createdBy });
  const settings = changedSettings(changes);
  if (settings.length > 0)
    history.push({
      created,
      created_by: `build-sign assemble: set ${settings.join(', ')}`,
      empty_layer: true,
    });
  doc.history = history;
  return doc;
}

function setOrClear(config: Record<string, unknown>, key: string, args: readonly string[]): void {
  if (args.length === 0) delete config[key];
  else config[key] = [...args];
}
