/**
 * The one size-limited reader of blobs into memory, on an OCI layout: a blob over the limit is
 * BLOB_TOO_LARGE (never a registry fault), refused before a byte is read when its descriptor says
 * so, and as soon as a stream passes the limit otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  DEFAULT_MAX_BLOB_BYTES,
  digestOf,
  LayoutStore,
  MediaType,
  OciError,
  readBlob,
  readLimited,
} from '@release-actions/shared/oci';
import { withCode } from '../codes.ts';

const code = (c: string) => withCode(OciError, c);

describe('readBlob', () => {
  let dir: string;
  let store: LayoutStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blob-test-'));
    store = await LayoutStore.open(join(dir, 'layout'), { create: true });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a blob up to the limit, verified, and refuses one byte more', async () => {
    const bytes = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const descriptor = { mediaType: MediaType.OciConfig, digest: digestOf(bytes), size: bytes.length };
    await store.putBlob(descriptor, bytes);
    assert.deepEqual(await readBlob(store, descriptor, { maxBytes: bytes.length }), bytes);
    await assert.rejects(readBlob(store, descriptor, { maxBytes: bytes.length - 1 }), code('BLOB_TOO_LARGE'));
    // A descriptor that lies about the size is the store's SIZE_MISMATCH, not a size-limit refusal.
    await assert.rejects(readBlob(store, { ...descriptor, size: bytes.length - 1 }), code('SIZE_MISMATCH'));
    await assert.rejects(
      readBlob(store, { ...descriptor, digest: `sha256:${'1'.repeat(64)}` }),
      code('BLOB_UNKNOWN'),
    );
  });

  it('refuses a descriptor over the default 16 MiB without opening the blob', async () => {
    assert.equal(DEFAULT_MAX_BLOB_BYTES, 16 * 1024 * 1024);
    // No such blob exists: a read would fail BLOB_UNKNOWN; the size alone refuses it.
    const huge = {
      mediaType: MediaType.OciLayer,
      digest: `sha256:${'2'.repeat(64)}`,
      size: DEFAULT_MAX_BLOB_BYTES + 1,
    };
    await assert.rejects(readBlob(store, huge, { what: 'signature layer' }), (err: unknown) => {
      code('BLOB_TOO_LARGE')(err);
      assert.match(
        (err as Error).message,
        /^signature layer sha256:2{64} in oci-layout:.* is 16777217 bytes/,
      );
      return true;
    });
  });
});

describe('readLimited', () => {
  it('stops a stream as soon as it passes the limit, and destroys it', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(1024));
      },
    });
    await assert.rejects(
      readLimited(endless, 10 * 1024, () => new OciError('BLOB_TOO_LARGE', 'too large')),
      code('BLOB_TOO_LARGE'),
    );
    assert.ok(endless.destroyed);
    assert.ok(pulled <= 16, `read ${pulled} chunks of an endless stream`);
  });

  it('returns the bytes of a stream within the limit, and passes the stream’s own error through', async () => {
    const parts = [Buffer.from('ab'), Buffer.from('cd')];
    assert.equal((await readLimited(Readable.from(parts), 4, () => new Error('no'))).toString(), 'abcd');
    const failing = new Readable({
      read() {
        this.destroy(new OciError('DIGEST_MISMATCH', 'altered'));
      },
    });
    await assert.rejects(
      readLimited(failing, 4, () => new Error('no')),
      code('DIGEST_MISMATCH'),
    );
  });
});
