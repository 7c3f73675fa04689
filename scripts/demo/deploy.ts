/**
 * "Deploying" in the demo: an image, by digest, is unpacked from where it lives (an OCI layout or
 * the loopback registry) and its entrypoint is started on the slot's loopback port, so that what
 * answers users is exactly what was built, signed and verified.
 *
 * - The layers are read with our own code: `openImage` and the SBOM's layer walker (`walkImage`:
 *   every layer in order, whiteouts applied, names kept inside the root, each blob's digest
 *   checked as it streams), then written under `<dir>/<digest>/`.
 * - The command is the image config's `Entrypoint` + `Cmd`, run in its `WorkingDir` with its `Env`.
 *   The demo's images are FROM scratch and carry no Node (nothing may be downloaded): an
 *   entrypoint `node` is run with this machine's Node (`process.execPath`), and absolute paths in
 *   the command are taken inside the unpacked root. Nothing else of the host is used.
 * - A slot keeps its port across deployments (HAProxy's servers are fixed addresses): the old
 *   process stops, the new one starts, and the deployment is done when it answers `/healthz`.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  formatReference,
  openImage,
  parseReference,
  readBlob,
  type RegistryClient,
} from '@release-actions/shared/oci';
import { resolveImage, walkImage } from '@release-actions/shared/sbom';
import {
  findExecutable,
  httpStatus,
  spawnService,
  tailOfFile,
  trackLeftover,
  type ServiceProcess,
} from '@release-actions/shared/testing';
import type { Slot } from './proxy.ts';

/** The part of an OCI image config a deployment reads (image-spec `config.md`). */
interface RunConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Env?: string[] | null;
}

export interface Deployment {
  slot: Slot;
  /** The image as deployed, by digest. */
  image: string;
  digest: string;
  /** host:port of the running release. */
  host: string;
  /** The version it reports on /healthz. */
  version: string;
  /** The unpacked root it runs from. */
  root: string;
}

export interface ReleasesOptions {
  client: RegistryClient;
  /** Where images are unpacked (one directory per digest) and their logs written. */
  dir: string;
  /** The fixed port of each slot. */
  ports: Record<Slot, number>;
}

/** The two slots of the demo's "production": what runs there, and how to change it. */
export class Releases {
  readonly #options: ReleasesOptions;
  readonly #running = new Map<Slot, { deployment: Deployment; process: ServiceProcess; release(): void }>();
  /** Deployments one at a time: the canary action may ask for one while the demo asks for another. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ReleasesOptions) {
    this.#options = options;
  }

  /** What a slot runs now. */
  current(slot: Slot): Deployment | undefined {
    return this.#running.get(slot)?.deployment;
  }

  /** Unpacks `image` (by digest) and runs it in `slot`, replacing what ran there. */
  deploy(slot: Slot, image: string): Promise<Deployment> {
    const next = this.#queue.then(() => this.#deploy(slot, image));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #deploy(slot: Slot, image: string): Promise<Deployment> {
    const ref = parseReference(image);
    if (!ref.digest)
      throw new Error(`deploy ${image}: a deployment takes an image by digest (…@sha256:…), never a tag`);
    const { store, reference } = await openImage(this.#options.client, ref);
    const resolved = await resolveImage(store, reference);
    const config = JSON.parse(
      (await readBlob(store, resolved.manifest.config, { what: 'image config' })).toString('utf8'),
    ) as { config?: RunConfig };
    const root = join(this.#options.dir, ref.digest.replace(':', '-'));
    if (!(await stat(root).catch(() => undefined))) {
      const partial = `${root}.partial`;
      await rm(partial, { recursive: true, force: true });
      const { files } = await walkImage(store, reference, () => true);
      for (const [path, file] of files) {
        await mkdir(join(partial, path, '..'), { recursive: true });
        await writeFile(join(partial, path), file.content);
      }
      await rename(partial, root);
    }

    const run = config.config ?? {};
    const command = [...(run.Entrypoint ?? []), ...(run.Cmd ?? [])];
    if (command.length === 0) throw new Error(`${formatReference(ref)} has no Entrypoint or Cmd to run`);
    const argv = command.map((arg, i) =>
      i === 0 && arg === 'node' ? process.execPath : arg.startsWith('/') ? join(root, arg) : arg,
    );
    const port = this.#options.ports[slot];
    const env: Record<string, string> = {};
    for (const entry of run.Env ?? []) {
      const eq = entry.indexOf('=');
      if (eq > 0 && entry.slice(0, eq) !== 'PATH') env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }

    await this.stop(slot);
    const logFile = `${root}.${slot}.log`;
    const leftover = trackLeftover({ pid: undefined, dir: undefined });
    // Only the image's Env, and the slot's port over the image's own (8080).
    env['PORT'] = String(port);
    const child = spawnService(
      [findExecutable('env') ?? 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv],
      {
        cwd: join(root, run.WorkingDir ?? '/'),
        logFile,
        leftover,
      },
    );
    const host = `127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while ((await httpStatus(`http://${host}/healthz`, 1000)) !== 200) {
      if (child.exited() || Date.now() > deadline) {
        await child.stop();
        leftover.release();
        throw new Error(
          `${formatReference(ref)} did not answer http://${host}/healthz (${child.exitStatus()}):\n${tailOfFile(logFile, 10)}`,
        );
      }
      await sleep(50);
    }
    const health = await fetch(`http://${host}/healthz`).then(
      (r) => r.json() as Promise<{ version?: string }>,
    );
    const deployment: Deployment = {
      slot,
      image: formatReference(ref),
      digest: ref.digest,
      host,
      version: health.version ?? '?',
      root,
    };
    this.#running.set(slot, { deployment, process: child, release: leftover.release });
    return deployment;
  }

  /** Stops what runs in `slot`. */
  async stop(slot: Slot): Promise<void> {
    const running = this.#running.get(slot);
    if (!running) return;
    this.#running.delete(slot);
    await running.process.stop(2000);
    running.release();
  }

  async stopAll(): Promise<void> {
    await this.#queue;
    await Promise.all([this.stop('stable'), this.stop('canary')]);
  }
}
