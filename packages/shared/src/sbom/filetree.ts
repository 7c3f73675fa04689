/**
 * The union filesystem of an image, kept only for the files catalogers asked for: layers are
 * applied bottom to top with the OCI whiteout rules (image-spec `layer.md`), and only the newest
 * version of each wanted file is held, so memory follows the wanted files, not the image.
 */
import { ancestors, symlinkTarget } from './paths.ts';

/** A file as the catalogers see it. */
export interface FileRecord {
  /** Root-relative path, `/var/lib/dpkg/status`. */
  path: string;
  /** Digest of the layer that holds this version (absent for a directory source). */
  layer?: string;
  content: Buffer;
  /**
   * Set when `content` is a window of the file, not all of it: the file offset the window starts
   * at (a streaming scan kept only the bytes from a match on, see `EntryScan` in layers.ts).
   */
  offset?: number;
}

interface Node {
  layer?: string;
  content?: Buffer;
  offset?: number;
  /** Root-relative target for a symlink; hard links are stored as copies. */
  link?: string;
}

const MAX_LINK_HOPS = 40;

/**
 * Applies layers one at a time. Within a layer, every entry is reported (`shadow`), and whiteouts,
 * opaque markers and files may come in any order: deletions apply only to lower layers, and the
 * layer's own files are merged in at `endLayer`.
 */
export class FileTree {
  readonly #lower = new Map<string, Node>();
  /** For each directory, how many kept paths lie below it: a removal scans only when this is non-zero. */
  readonly #below = new Map<string, number>();
  #current = new Map<string, Node>();
  #layer: string | undefined;

  beginLayer(layer?: string): void {
    this.#current = new Map();
    this.#layer = layer;
  }

  /**
   * An entry of the current layer exists at `path` (any type, wanted or not): it hides the lower
   * layers' file there, and, unless it is a directory, everything below it.
   */
  shadow(path: string, isDirectory: boolean): void {
    this.#delete(path);
    if (!isDirectory) this.#deleteBelow(path);
  }

  /** A whiteout `.wh.<name>`: `path` and everything below it disappear from the lower layers. */
  whiteout(path: string): void {
    this.#delete(path);
    this.#deleteBelow(path);
  }

  /** An opaque marker `.wh..wh..opq` in `dir`: the lower layers' children of `dir` disappear. */
  opaque(dir: string): void {
    this.#deleteBelow(dir);
  }

  /** A file of the current layer; `offset` when `content` is a window of it from that offset. */
  addFile(path: string, content: Buffer, offset?: number): void {
    this.#current.set(path, { layer: this.#layer, content, ...(offset !== undefined && { offset }) });
  }

  addSymlink(path: string, target: string): void {
    this.#current.set(path, { layer: this.#layer, link: symlinkTarget(path, target) });
  }

  /** A hard link to `target` (root-relative), which must already be in this layer or below. */
  addHardlink(path: string, target: string): boolean {
    const node = this.#current.get(target) ?? this.#lower.get(target);
    if (!node) return false;
    this.#current.set(path, node);
    return true;
  }

  endLayer(): void {
    for (const [path, node] of this.#current) {
      if (!this.#lower.has(path))
        for (const dir of ancestors(path)) this.#below.set(dir, (this.#below.get(dir) ?? 0) + 1);
      this.#lower.set(path, node);
    }
    this.#current = new Map();
  }

  /**
   * The files of the final filesystem, with symlinks among them resolved (inside the root) to the
   * kept file they point to; a symlink to a file nobody asked for, or a loop, is left out.
   */
  files(): Map<string, FileRecord> {
    const out = new Map<string, FileRecord>();
    for (const [path, node] of this.#lower) {
      let target: Node | undefined = node;
      for (let hops = 0; target?.link !== undefined && hops < MAX_LINK_HOPS; hops++)
        target = this.#lower.get(target.link);
      if (target?.content)
        out.set(path, {
          path,
          layer: target.layer,
          content: target.content,
          ...(target.offset !== undefined && { offset: target.offset }),
        });
    }
    return out;
  }

  #delete(path: string): void {
    if (!this.#lower.delete(path)) return;
    for (const dir of ancestors(path)) {
      const n = (this.#below.get(dir) ?? 1) - 1;
      if (n <= 0) this.#below.delete(dir);
      else this.#below.set(dir, n);
    }
  }

  #deleteBelow(dir: string): void {
    if (dir !== '/' && !this.#below.has(dir)) return;
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const path of [...this.#lower.keys()]) if (path.startsWith(prefix)) this.#delete(path);
  }
}
