/**
 * The CJK font embedded in every document, so Chinese renders on any reader
 * without fonts of its own. It comes from Debian's `fonts-noto-cjk` package
 * (installed by scripts/test.sh, .ci/run, the Dockerfile when missing): never
 * downloaded at run time. pdfkit embeds only the glyphs used (a subset).
 * DOCUMENT_FONT_DIR points elsewhere (a folder with the same .ttc files).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fontkit from 'fontkit';

export interface CjkFont {
  regular: { path: string; family: string };
  bold: { path: string; family: string };
}

const DIRS = ['/usr/share/fonts/opentype/noto', '/usr/share/fonts/noto-cjk', '/usr/share/fonts/google-noto-cjk'];

let found: CjkFont | undefined;

/** The Noto Sans CJK (Simplified Chinese face) files; throws naming the package when missing. */
export function cjkFont(dir = process.env.DOCUMENT_FONT_DIR): CjkFont {
  if (found && !dir) return found;
  const dirs = dir ? [dir] : DIRS;
  for (const d of dirs) {
    const regular = join(d, 'NotoSansCJK-Regular.ttc');
    const bold = join(d, 'NotoSansCJK-Bold.ttc');
    if (existsSync(regular) && existsSync(bold)) {
      const font = { regular: { path: regular, family: 'NotoSansCJKsc-Regular' }, bold: { path: bold, family: 'NotoSansCJKsc-Bold' } };
      if (!dir) found = font;
      return font;
    }
  }
  throw new Error(
    `no CJK font for documents: NotoSansCJK-Regular.ttc and -Bold.ttc not found in ${dirs.join(', ')}; ` +
      'install the Debian package fonts-noto-cjk (apt-get install -y fonts-noto-cjk) or set DOCUMENT_FONT_DIR',
  );
}

/** A parsed font face (fontkit), as pdfkit's registerFont accepts it. */
export type FontFace = object;
let faces: { regular: FontFace; bold: FontFace } | undefined;

/**
 * The faces parsed once per process: a collection is about 20 MB, and
 * parsing it for every document took seconds. pdfkit only reads the face
 * (subsets are made per document), so sharing it is safe.
 */
export function cjkFaces(): { regular: FontFace; bold: FontFace } {
  if (faces) return faces;
  const f = cjkFont();
  const open = (x: { path: string; family: string }) => fontkit.create(readFileSync(x.path), x.family) as FontFace;
  faces = { regular: open(f.regular), bold: open(f.bold) };
  return faces;
}
