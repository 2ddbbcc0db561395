// Connects an OpenLDAP directory the way an admin does in the console, in
// a real Chromium: sign in, add "OpenLDAP" over LDAPS with the CA bundle
// uploaded as a file, save, Test connection (each step shown), a wrong
// bind password (the failing step shown in plain words), the right one
// again, Preview sync (the planned changes), Sync now (confirmed in its
// dialog; run in the background, its page showing its progress then its
// counts), the sync found in the external events log, and a second
// sync appearing in the log's live tail without a reload. axe-core checks
// every page. Prints one JSON line with what it saw; exits non-zero on
// failure.
//
// usage: node console-ldap.mjs BASE_URL ADMIN PASSWORD LABEL HOST PORT CA_FILE
//        BIND_DN BIND_PASSWORD BASE_DN SAMPLE_USER SHOTS_DIR
// SHOTS_DIR may be "-" for no screenshots.
import { checker, failed, launch, signIn as signInAs, squash, text as pageText } from './console-run.mjs';

const [base, admin, password, label, host, port, caFile, bindDN, bindPassword, baseDN, sample, shots] = process.argv.slice(2);
const browser = await launch();
const ours = new URL(base).origin;
const seen = { axe: {}, refused: [], dialogs: [] };
const text = (page) => pageText(page);
const { check } = checker(seen, shots);
const signIn = (page) => signInAs(page, base, admin, password);
const steps = async (page) => page.$$eval('ol.steps li', (lis) => lis.map((li) => ({
  ok: li.classList.contains('good'), text: li.textContent.replace(/\s+/g, ' ').trim() })));
const counts = async (page) => page.$$eval('main dl.values dt', (dts) =>
  Object.fromEntries(dts.map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.replace(/\s+/g, ' ').trim()])));
const click = async (page, selector) => {
  const [res] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return res?.status();
};
// editPassword saves the provider with a new bind password.
const editPassword = async (page, providerURL, pw) => {
  await page.goto(base + providerURL + '/edit');
  await page.fill('#f-ldap_password', pw);
  await Promise.all([page.waitForURL(/\/admin\/providers\/\d+\?saved=updated/), page.click('form.provider-form button[type=submit]')]);
};
const test = async (page, providerURL, name) => {
  await page.goto(base + providerURL);
  await page.fill('#f-sample_user', sample);
  const status = await click(page, 'button:has-text("Test connection")');
  await check(page, name);
  return { status, steps: await steps(page), summary: squash(await page.textContent('main > p.notice, main > p.error').catch(() => '')) };
};

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  page.on('dialog', (d) => { seen.dialogs.push(d.message()); d.accept(); });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.refused.push(m.text());
  });
  await signIn(page);

  await page.goto(base + '/admin/providers');
  await page.click('text=Add provider');
  await page.click('a[href="/admin/new-provider/openldap"]');
  await check(page, 'console-ldap-form');
  await page.fill('#f-label', label);
  await page.fill('#f-ldap_host', host);
  await page.fill('#f-ldap_port', port);
  await page.selectOption('#f-ldap_security', 'ldaps');
  await page.setInputFiles('#f-ca_file', caFile);
  await page.fill('#f-ldap_username', bindDN);
  await page.fill('#f-ldap_password', bindPassword);
  await page.fill('#f-ldap_base_dn', baseDN);
  await page.check('#f-provision_users');
  await page.check('#f-provision_groups');
  await Promise.all([page.waitForURL(/\/admin\/providers\/\d+/), page.click('form.provider-form button[type=submit]')]);
  const providerURL = new URL(page.url()).pathname;
  seen.providerURL = providerURL;
  await check(page, 'console-ldap-provider');
  seen.caSaved = (await page.goto(base + providerURL + '/edit'), await page.inputValue('#f-ldap_ca_bundle')).slice(0, 40);

  // Test connection: every step passes.
  seen.testOK = await test(page, providerURL, 'console-ldap-test');

  // A wrong bind password: the failing step in plain words; then the
  // right one again.
  await editPassword(page, providerURL, bindPassword + '-wrong');
  seen.testBadBind = await test(page, providerURL, 'console-ldap-test-failed');
  await editPassword(page, providerURL, bindPassword);

  // Preview: the planned changes, nothing written.
  await page.goto(base + providerURL);
  seen.previewStatus = await click(page, 'button:has-text("Preview sync")');
  await check(page, 'console-ldap-preview');
  seen.preview = { notice: squash(await page.textContent('main > p[role=status]')), counts: await counts(page),
    caption: squash(await page.textContent('main table caption').catch(() => '')),
    rows: await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, ' ').trim())) };

  // Sync now, confirmed in its dialog.
  await page.goto(base + providerURL);
  // The run goes on in the background: a large directory shows a page
  // that reloads itself until the result; a small one the result at once.
  seen.syncStatus = await click(page, 'button:has-text("Sync now")');
  seen.syncURL = new URL(page.url()).pathname;
  if (await page.$('#sync-progress')) {
    seen.syncProgress = squash(await page.textContent('#sync-progress'));
    // The page loads its result when the run ends, maybe mid-check.
    await check(page, 'console-ldap-sync-progress').catch((e) => {
      if (!/context was destroyed|navigation/i.test(String(e))) throw e;
    });
  }
  await page.waitForSelector('main > p[role=status]:has-text("Sync finished")', { timeout: 120000 });
  await check(page, 'console-ldap-sync');
  seen.sync = { notice: squash(await page.textContent('main > p[role=status]')), counts: await counts(page),
    refreshes: !!(await page.$('meta[http-equiv=refresh], [data-poll]')) };
  // The result stays the provider's last run's, for a reload.
  await page.reload();
  seen.syncReloaded = squash(await page.textContent('main > p[role=status]'));

  // The sync is in the external events log.
  await page.goto(base + '/admin/logs/external');
  await check(page, 'console-ldap-logs');
  seen.logRows = await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, ' ').trim()));
  await page.click('main table tbody tr >> nth=0 >> a');
  await check(page, 'console-ldap-log-entry');
  seen.logEntry = (await text(page)).slice(0, 800);
  await page.goto(base + '/admin/providers');
  await check(page, 'console-ldap-providers');
  seen.providersRow = await page.$eval('main table tbody tr', (tr) => tr.textContent.replace(/\s+/g, ' ').trim());

  // The log's live tail shows a sync started in another tab without
  // reloading the page.
  await page.goto(base + '/admin/logs/external?live=1');
  await check(page, 'console-ldap-logs-live');
  const rowCount = () => page.$$eval('#log-entries tbody tr', (trs) => trs.length);
  const before = await rowCount();
  let reloaded = false;
  page.on('framenavigated', () => { reloaded = true; });
  const tab = await context.newPage();
  tab.on('dialog', (d) => d.accept());
  await tab.goto(base + providerURL);
  await click(tab, 'button:has-text("Sync now")');
  await tab.waitForSelector('main > p[role=status]:has-text("Sync finished")', { timeout: 120000 });
  await tab.close();
  await page.waitForFunction((n) => document.querySelectorAll('#log-entries tbody tr').length > n, before, { timeout: 30000 });
  seen.live = { before, after: await rowCount(), reloaded };
  console.log(JSON.stringify(seen));
} catch (err) {
  await failed(browser, seen, err);
} finally {
  await browser.close();
}
