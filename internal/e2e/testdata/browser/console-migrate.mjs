// Moves the people of a directory provider to a SAML provider with the
// console's migration wizard, in a real Chromium: from the directory's
// page, a dry run first (nothing moves; who would lose password sign-in
// is named), one person moved first, then everyone in batches that go on
// by themselves, and the emptied directory provider turned off. Then the
// person moved first signs in with the login page's SAML button. axe-core
// checks every page. Prints one JSON line; exits non-zero on failure.
//
// usage: node console-migrate.mjs BASE ADMIN PASSWORD FROM_ID TO_ID ONE_USER TO_LABEL IDP_HOST SHOTS_DIR
import { checker, failed, launch, signIn as signInAs, text as pageText } from './console-run.mjs';

const [base, admin, password, fromID, toID, one, toLabel, idpHost, shots] = process.argv.slice(2);
const browser = await launch(idpHost);
const ours = new URL(base).origin;
const seen = { axe: {}, refused: [], dialogs: [] };
const text = (page, sel = 'main') => pageText(page, sel);
const { check } = checker(seen, shots);

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30000);
  page.on('dialog', (d) => { seen.dialogs.push(d.message()); d.accept(); });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.refused.push(m.text());
  });
  await signInAs(page, base, admin, password);

  await page.goto(base + '/admin/providers/' + fromID);
  await page.click('text=Move its users to another provider');
  await page.selectOption('#f-to', toID);
  await check(page, 'console-migrate');

  // 3 before 2: the dry run first, as an admin should.
  await Promise.all([page.waitForNavigation(), page.click('button[value=dry-run]')]);
  seen.dryRun = { notice: await text(page, 'p.notice'), warning: await page.textContent('section[aria-labelledby=who] p.error').catch(() => ''),
    rows: await page.$$eval('section[aria-labelledby=who] tbody tr', (trs) => trs.length) };
  await check(page, 'console-migrate-dry-run');

  await page.fill('#f-one', one);
  await Promise.all([page.waitForNavigation(), page.click('button[value=one]')]);
  seen.one = { notice: await text(page, 'p.notice'), link: await page.textContent('main .copyable code').catch(() => '') };

  // Everyone else, in batches that follow each other by themselves.
  await Promise.all([page.waitForNavigation(), page.click('button[value=move]')]);
  await page.waitForSelector('text=Turn off', { timeout: 60000 });
  seen.moved = { notice: await text(page, 'p.notice'), progress: await page.$eval('progress', (p) => `${p.value}/${p.max}`) };
  await check(page, 'console-migrate-done');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/migrate/disable-source"] button')]);
  seen.afterDisable = await text(page, 'p.meta');

  // The person moved first signs in with the new provider's button.
  await page.click('form[action="/logout"] button[type=submit]');
  await page.goto(base + '/login');
  await page.getByRole('link', { name: 'Sign in with ' + toLabel }).click();
  await page.waitForURL((u) => u.origin === ours && u.pathname === '/');
  seen.home = await text(page, 'body');
  console.log(JSON.stringify(seen));
} catch (err) {
  await failed(browser, seen, err);
} finally {
  await browser.close();
}
