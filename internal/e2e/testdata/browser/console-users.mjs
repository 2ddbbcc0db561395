// Drives the admin console's Users pages in a real Chromium as a site admin
// would: sign in, open the users list, search, open a user, set their
// authentication method to SSO with a provider, then try the same on the
// last site admin who signs in with a password and read the lock-out
// guard's refusal; then the groups list and a group. Runs axe-core on each
// page, measures it at 375 px, and takes screenshots (SCREENSHOT_DIR "-"
// for none). Prints one JSON line with what it saw; exits non-zero on
// failure.
//
// usage: node console-users.mjs BASE_URL ADMIN PASSWORD SEARCH USER PROVIDER_LABEL SCREENSHOT_DIR
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { seriousViolations } from './axe.mjs';

const [base, admin, password, search, username, providerLabel, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const seen = { axe: {}, widths: {} };
const text = async (page, sel) => ((await page.textContent(sel)) || '').replace(/\s+/g, ' ').trim();

// shoot writes a full-page screenshot, unless SCREENSHOT_DIR is "-".
const shoot = async (page, name) => {
  if (shots !== '-') await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
};

// check runs axe on the page, records how wide it lays out at 375 px, and
// photographs it (at 375 px too when narrow is set).
async function check(page, name, narrow) {
  seen.axe[name] = await seriousViolations(page);
  await shoot(page, 'console-' + name);
  await page.setViewportSize({ width: 375, height: 800 });
  seen.widths[name] = await page.evaluate(() => document.documentElement.scrollWidth);
  if (narrow) await shoot(page, 'console-' + name + '-narrow');
  await page.setViewportSize({ width: 1280, height: 900 });
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (d) => d.accept());
  await page.goto(base + '/login');
  await page.fill('#username', admin);
  await page.fill('#password', password);
  await page.click('button[type=submit]');

  await page.goto(base + '/admin/users');
  seen.listTitle = await text(page, 'h1');
  seen.listRows = await page.locator('table.users tbody tr').count();
  await check(page, 'users', true);

  // The filters open while one is in use.
  await page.goto(base + '/admin/users?method=password&sort=last_login_at&dir=desc');
  seen.filtersOpen = await page.$eval('details.more', (d) => d.open);
  await check(page, 'users-filtered');
  await page.goto(base + '/admin/users');

  // Search, with the keyboard: type and press Enter.
  await page.fill('#f-q', search);
  await page.press('#f-q', 'Enter');
  await page.waitForURL(/q=/);
  seen.searchRows = await page.locator('table.users tbody tr').allTextContents();
  seen.searchRows = seen.searchRows.map((r) => r.replace(/\s+/g, ' ').trim());
  await check(page, 'users-search');

  await page.click(`table.users a:text-is("${username}")`);
  seen.userTitle = await text(page, 'h1');
  await check(page, 'user', true);

  // SSO with the provider.
  const option = page.locator('#f-authentication_method option', { hasText: providerLabel }).first();
  await page.selectOption('#f-authentication_method', await option.getAttribute('value'));
  await page.click('form[action$="/auth"] button[type=submit]');
  seen.afterSSO = await text(page, 'main p.notice');
  seen.selected = await page.$eval('#f-authentication_method', (s) => s.options[s.selectedIndex].textContent);

  // The last password site admin: the guard refuses, in its words.
  await page.goto(base + '/admin/users?q=' + encodeURIComponent(admin));
  await page.click(`table.users a:text-is("${admin}")`);
  await page.selectOption('#f-authentication_method', await option.getAttribute('value'));
  await page.click('form[action$="/auth"] button[type=submit]');
  seen.guardTop = await text(page, 'main p.error');
  seen.guardField = await text(page, '#d-authentication_method');
  seen.guardInvalid = await page.getAttribute('#f-authentication_method', 'aria-invalid');
  await check(page, 'user-refused');

  // Groups: the list and a group's page.
  await page.goto(base + '/admin/groups');
  await check(page, 'groups');
  await page.click('main table a');
  seen.groupTitle = await text(page, 'h1');
  await check(page, 'group');

  // Keyboard: the skip link is the first stop and shows when focused.
  await page.keyboard.press('Tab');
  seen.firstTab = await page.evaluate(() => document.activeElement.textContent.trim());
  console.log(JSON.stringify(seen));
} catch (err) {
  console.log(JSON.stringify(seen));
  console.error(err);
  process.exitCode = 1;
} finally {
  await browser.close();
}
