// Maps a configuration path back to the line of the YAML file that wrote it.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigPath } from './config-path.js';

export class YamlLocator {
  constructor(
    private readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * The line of the key that names `path` (or of the sequence item). When the path does not exist
   * (a missing required key), the line of its nearest existing parent.
   */
  lineOf(path: ConfigPath): number {
    let node: unknown = this.document.contents;
    let line = this.lineAt(node) ?? 1;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        line = this.lineAt(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) break;
        line = this.lineAt(item) ?? line;
        node = item;
      } else {
        break;
      }
    }
    return line;
  }

  private lineAt(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }
}
