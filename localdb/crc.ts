/** Builds a 256-entry lookup table for a reflected CRC-32 polynomial. */
function makeTable(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC32C_TABLE = makeTable(0x82f63b78);
const CRC32_TABLE = makeTable(0xedb88320);

function crcWith(table: Uint32Array, buf: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (const byte of buf.subarray(start, end)) {
    const entry = table[(crc ^ byte) & 0xff];
    if (entry === undefined) throw new Error('CRC table index out of range'); // `& 0xff` keeps it below 256
    crc = entry ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32C (Castagnoli), as used by the OP_MSG checksum trailer. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  return crcWith(CRC32C_TABLE, buf, start, end);
}

/** CRC-32 (IEEE), used to protect journal records. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  return crcWith(CRC32_TABLE, buf, start, end);
}
