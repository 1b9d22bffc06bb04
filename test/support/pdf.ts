/**
 * A PDF's text, extracted back with a PDF text library (pdf-parse, which runs
 * Mozilla's pdf.js offline), so tests read documents as a reader would.
 * Whitespace is collapsed to single spaces, so a test can look for phrases.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export function pdfText(pdf: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'pdf-text.cjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`pdf text extraction failed (${code}): ${Buffer.concat(err).toString()}`));
      else resolve(Buffer.concat(out).toString('utf8').replace(/\s+/g, ' '));
    });
    child.stdin.end(pdf);
  });
}
