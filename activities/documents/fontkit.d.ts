// fontkit ships no types; the documents use only `create` (a parsed face that pdfkit embeds).
declare module 'fontkit' {
  export function create(buffer: Uint8Array, postscriptName?: string): unknown;
}
