// Prints the text of the PDF on stdin (pdf-parse, i.e. Mozilla's pdf.js).
// A separate process because pdf.js loads its worker with a dynamic import,
// which jest's CommonJS sandbox refuses.
const { PDFParse } = require('pdf-parse');

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  const parser = new PDFParse({ data: new Uint8Array(Buffer.concat(chunks)) });
  try {
    const r = await parser.getText();
    process.stdout.write(r.text);
  } finally {
    await parser.destroy();
  }
});
