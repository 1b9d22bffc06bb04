/**
 * Writes docs/ROLES.md, the role table (route -> roles), from
 * api/auth/roles.ts, so the README and the docs never drift from what the
 * API enforces. A test (test/api/security.test.ts) checks the file is current.
 *
 *   npx tsx scripts/roles-table.ts           write docs/ROLES.md
 *   npx tsx scripts/roles-table.ts --check   exit 1 when it is out of date
 *   npx tsx scripts/roles-table.ts --stdout  print it
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRolesTable } from '../api/auth/roles';

export const ROLES_DOC = join(__dirname, '..', 'docs', 'ROLES.md');

function main(argv: string[]): void {
  const text = renderRolesTable();
  if (argv.includes('--stdout')) {
    process.stdout.write(text);
    return;
  }
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(ROLES_DOC, 'utf8');
    } catch {
      // missing counts as out of date
    }
    if (current !== text) {
      process.stderr.write('docs/ROLES.md is out of date: run `npx tsx scripts/roles-table.ts`\n');
      process.exit(1);
    }
    return;
  }
  writeFileSync(ROLES_DOC, text);
  process.stdout.write(`wrote ${ROLES_DOC}\n`);
}

if (require.main === module) main(process.argv.slice(2));
