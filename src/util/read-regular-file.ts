// Reads a file named in the operator's configuration without ever blocking the process: opened
// non-blocking, so a FIFO or a device is refused at once instead of waiting for a writer, and only
// a regular file of bounded size is read.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

export class NotRegularFileError extends Error {
  constructor(
    readonly code: 'ENOTREG' | 'EFBIG',
    message: string,
  ) {
    super(message);
  }
}

export function readRegularFile(path: string, maxBytes = 1024 * 1024): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new NotRegularFileError('ENOTREG', 'not a regular file');
    if (stat.size > maxBytes) throw new NotRegularFileError('EFBIG', `larger than ${Math.round(maxBytes / 1024)} KB`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
