// Posting a view to another thread clones its whole ArrayBuffer: for a small Buffer from Node's pool
// that is the pool's 8 KiB, for a slice of a socket read the read. A view that spans its buffer is
// cloned as it is (measured: ~20 us for 118 KB, less than copying it into a buffer to transfer,
// 53-127 us, because transferring means allocating one); any other is copied to one of its own.
export function compactBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.prototype.slice.call(bytes);
}
