/**
 * The browser side of the console tests: Debian's Chromium (the `chromium`
 * package's binary; no browser download) driven by playwright-core, the
 * built console (web/dist, built when missing) served by the test stack's
 * API on a free port, sign-in through the page, screenshots into
 * docs/screenshots/ and an axe-core accessibility check.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// Functions passed to addInitScript run in the page; the test's TypeScript has no DOM library.
declare const localStorage: { setItem(key: string, value: string): void };

export const ROOT = join(__dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

/** The chromium binary: CHROMIUM_PATH, else `chromium` on the PATH (Debian's package). */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // next
    }
  }
  throw new Error('no chromium on the PATH: apt-get install -y chromium (scripts/lib/chromium.sh does it in npm test and CI)');
}

/** web/dist, built once when missing (scripts/test.sh builds it before this suite). */
export function ensureWebBuilt(): void {
  if (existsSync(join(ROOT, 'web', 'dist', 'index.html'))) return;
  execSync('npm run build:web', { cwd: ROOT, stdio: 'inherit' });
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A demo user's password as the seed and `npm start` set it (docs/CONSOLE-API.md). */
export const passwordOf = (username: string) => `demo-${username}`;

/** A fresh browser context (its own cookies) signed in as `username` through the sign-in page. */
export async function signIn(
  browser: Browser,
  baseUrl: string,
  username: string,
  opts: { viewport?: { width: number; height: number }; lang?: 'zh' | 'en' } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  if (opts.lang === 'en') await context.addInitScript(() => localStorage.setItem('console.lang', 'en'));
  const page = await context.newPage();
  await page.goto(`${baseUrl}/app/signin`);
  await page.locator('#signin_username').fill(username);
  await page.locator('#signin_password').fill(passwordOf(username));
  await page.getByRole('button', { name: /登\s*录|Sign in/ }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/app/signin'));
  return { context, page };
}

/** A screenshot of the viewport into docs/screenshots/<name>.png (small: viewport only, no full page). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled', caret: 'hide' });
}

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** axe-core injected into the page; the serious and critical violations (WCAG 2 A/AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated, not added as a <script>: the API's Content-Security-Policy (script-src 'self') refuses inline scripts.
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => ({ target: n.target })) })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
