// Drives the web app's self-service pages in a real Chromium: a password
// user creates an API key and reads it once, adds an SSH key and reads its
// fingerprint, and opens How to connect; then a single sign-on user (whose
// session the test started) opens How to connect. Runs axe-core on each
// page, measures it at 375 px, and takes screenshots (SCREENSHOT_DIR "-"
// for none). Prints one JSON line with what it saw; exits non-zero on
// failure.
//
// usage: node webapp-self.mjs BASE_URL USER PASSWORD PUBLIC_KEY SSO_SESSION SCREENSHOT_DIR
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { seriousViolations } from './axe.mjs';

const [base, username, password, publicKey, ssoSession, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const seen = { axe: {}, widths: {} };
const text = async (page, sel) => ((await page.textContent(sel)) || '').replace(/\s+/g, ' ').trim();

// check runs axe on the page, records how wide it lays out at 375 px, and
// photographs it as shot (unless SCREENSHOT_DIR is "-" or shot is empty).
async function check(page, name, shot) {
  seen.axe[name] = await seriousViolations(page);
  if (shot && shots !== '-') await page.screenshot({ path: join(shots, shot + '.png'), fullPage: true });
  await page.setViewportSize({ width: 375, height: 800 });
  seen.widths[name] = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize({ width: 1280, height: 900 });
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  await page.goto(base + '/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForLoadState();

  // My API keys: create one, read it once.
  await page.goto(base + '/api-keys');
  seen.apiKeysTitle = await text(page, 'h1');
  await check(page, 'api-keys');
  await page.fill('#f-name', 'nightly sync');
  await page.check('#p-files_only');
  await page.click('form[action="/api-keys"] button[type=submit]');
  seen.createdTitle = await text(page, 'h1');
  seen.createdURL = page.url();
  seen.key = await text(page, '.secret code');
  seen.copyButton = await page.getAttribute('.secret button.copy', 'data-copy');
  await check(page, 'api-key-created');
  await page.goto(base + '/api-keys');
  seen.keyShownAgain = (await page.content()).includes(seen.key);
  seen.keyRows = (await page.locator('table.keys tbody tr').allTextContents()).map((r) => r.replace(/\s+/g, ' ').trim());
  await check(page, 'api-keys-listed', 'app-api-keys');

  // My SSH keys: paste one, read its fingerprint.
  await page.goto(base + '/ssh-keys');
  await page.fill('#f-public_key', publicKey);
  await page.click('form[action="/ssh-keys"] button[type=submit]');
  seen.sshNotice = await text(page, 'main p.notice');
  seen.fingerprint = await text(page, '.fingerprint code');
  seen.sshRows = (await page.locator('table.keys tbody tr').allTextContents()).map((r) => r.replace(/\s+/g, ' ').trim());
  await check(page, 'ssh-keys', 'app-ssh-keys');

  // How to connect, as a password user.
  await page.goto(base + '/connect');
  seen.connectPassword = await text(page, 'table.connect');
  seen.commandsPassword = await page.$$eval('p.command button.copy', (bs) => bs.map((b) => b.dataset.copy));
  await check(page, 'connect', 'app-connect');

  // How to connect, as a single sign-on user.
  const sso = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await sso.addCookies([{ name: 'gatehouse_session', value: ssoSession, url: base }]);
  const ssoPage = await sso.newPage();
  await ssoPage.goto(base + '/connect');
  seen.ssoIntro = await text(ssoPage, 'main p.meta');
  seen.connectSSO = await text(ssoPage, 'table.connect');
  seen.ssoLinks = await ssoPage.$$eval('main a', (as) => as.map((a) => a.getAttribute('href')));
  await check(ssoPage, 'connect-sso', 'app-connect-sso');
  console.log(JSON.stringify(seen));
} catch (err) {
  console.log(JSON.stringify(seen));
  console.error(err);
  process.exitCode = 1;
} finally {
  await browser.close();
}
