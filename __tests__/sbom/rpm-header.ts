/**
 * RPM header blobs for the rpm database tests, as every rpmdb format stores them (no lead, no
 * magic): index count and data length (big-endian u32), 16-byte index entries (tag, type, offset,
 * count), then the data store. Numbers are INT32 (type 4, 4-byte aligned), strings STRING (type 6,
 * NUL-terminated); tag numbers are rpmtag.h's (1000 NAME, 1001 VERSION, 1002 RELEASE, 1003 EPOCH,
 * 1014 LICENSE, 1022 ARCH, 1044 SOURCERPM).
 */
export function rpmHeader(tags: Array<[number, string | number]>): Buffer {
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let offset = 0;
  for (const [tag, value] of tags) {
    const e = Buffer.alloc(16);
    let bytes: Buffer;
    if (typeof value === 'number') {
      while (offset % 4 !== 0) {
        data.push(Buffer.alloc(1));
        offset++;
      }
      bytes = Buffer.alloc(4);
      bytes.writeInt32BE(value);
      e.writeUInt32BE(4, 4);
    } else {
      bytes = Buffer.from(`${value}\0`);
      e.writeUInt32BE(6, 4);
    }
    e.writeUInt32BE(tag, 0);
    e.writeInt32BE(offset, 8);
    e.writeUInt32BE(1, 12);
    index.push(e);
    data.push(bytes);
    offset += bytes.length;
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(tags.length, 0);
  head.writeUInt32BE(offset, 4);
  return Buffer.concat([head, ...index, ...data]);
}
