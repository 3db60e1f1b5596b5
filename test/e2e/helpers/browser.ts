import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (`.ci/install-chromium.sh`), or CHROMIUM_PATH. Missing is a failure, not a skip. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`No chromium found (looked at ${candidates.join(', ')}): run \`bash .ci/install-chromium.sh\` (as root) or set CHROMIUM_PATH.`);
  return found;
}

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs the tests as root, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'], timeout: 30_000 });
}

/** A page that may load the one file and nothing else: every other request is aborted and counted. */
export interface OfflinePage {
  page: Page;
  context: BrowserContext;
  /** URLs the page tried to reach beyond its own file, by request or blocked by its content policy. */
  outside: () => Promise<string[]>;
}

export async function openOffline(browser: Browser, file: string, colorScheme: 'light' | 'dark' = 'light'): Promise<OfflinePage> {
  const context = await browser.newContext({ offline: true, colorScheme, viewport: { width: 1000, height: 800 } });
  const requested: string[] = [];
  const own = new URL(`file://${file}`).href;
  await context.route('**/*', (route) => {
    if (route.request().url() === own) return route.continue();
    requested.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (r) => {
    if (r.url() !== own) requested.push(r.url());
  });
  // The page's own policy blocks fetches before they are requests: count those too.
  await page.addInitScript({
    content:
      "window.violations = []; document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));",
  });
  await page.goto(own);
  return {
    page,
    context,
    outside: async () => [...new Set([...requested, ...(await page.evaluate<string[]>('window.violations'))])],
  };
}
