/**
 * The media type recorded in a file manifest (PROTOCOL.md 10.5: lower-case `type/subtype`
 * without parameters, or empty for unknown), guessed from the file name's extension only:
 * hush never sniffs content.
 */
import { extname } from 'node:path';

// prettier-ignore
const BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', html: 'text/html', htm: 'text/html',
  css: 'text/css', js: 'text/javascript', mjs: 'text/javascript', ts: 'text/x-typescript',
  json: 'application/json', xml: 'application/xml', yaml: 'application/yaml',
  yml: 'application/yaml', toml: 'application/toml', pdf: 'application/pdf',
  zip: 'application/zip', gz: 'application/gzip', tgz: 'application/gzip',
  tar: 'application/x-tar', zst: 'application/zstd', xz: 'application/x-xz',
  wasm: 'application/wasm', sql: 'application/sql', png: 'image/png', jpg: 'image/jpeg',
  jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  mp4: 'video/mp4', webm: 'video/webm', mp3: 'audio/mpeg', wav: 'audio/wav',
  bin: 'application/octet-stream',
};

/**
 * The media type for a file name ('' when its extension is not known).
 * @example mediaTypeOf('report.pdf') === 'application/pdf'
 */
export function mediaTypeOf(name: string): string {
  return BY_EXTENSION[extname(name).slice(1).toLowerCase()] ?? '';
}
