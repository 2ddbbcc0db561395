// Connects a SAML identity provider the way an admin does in the console,
// in a real Chromium: sign in, add "Microsoft Entra ID (SAML)" by uploading
// the identity provider's metadata file (after a malformed file and a bad
// fingerprint are refused next to their fields), read and copy the values
// to paste, generate a SCIM token and reset it, find a stale form refused,
// then sign in with the login page's "Sign in with …" button through the
// identity provider, and find that sign-in in the console's logs. axe-core
// checks every page. Prints one JSON line with what it saw; exits non-zero
// on failure.
//
// Last, the provider is switched to trust the identity provider by its
// certificate's fingerprint (as openssl prints it), issuer and sign-on
// URL instead, and the button signs the person in again.
//
// usage: node console-saml.mjs BASE_URL ADMIN PASSWORD METADATA_FILE LABEL IDP_HOST SHOTS_DIR FINGERPRINT ISSUER SSO_URL
// SHOTS_DIR may be "-" for no screenshots.
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checker, failed, launch, signIn as signInAs, text as pageText } from './console-run.mjs';

const [base, admin, password, metadataFile, label, idpHost, shots, fingerprint, issuer, ssoURL] = process.argv.slice(2);
const browser = await launch(idpHost);
const ours = new URL(base).origin;
const seen = { axe: {}, refused: [] };
const text = (page) => pageText(page);
const { check } = checker(seen, shots);
const signIn = (page) => signInAs(page, base, admin, password);

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ours });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('dialog', (d) => d.accept());
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.refused.push(m.text());
  });
  await signIn(page);

  await page.click('text=Open the admin console');
  await check(page, 'console-overview');
  await page.click('nav[aria-label=Console] >> text=SSO providers');
  await check(page, 'console-providers-empty');
  await page.click('text=Add provider');
  await check(page, 'console-add-provider');
  await page.click('text=Microsoft Entra ID (SAML)');
  await check(page, 'console-entra-saml-form');

  // A file that is not metadata, then a fingerprint that is not one: each
  // refused next to its field, nothing saved.
  const dir = await mkdtemp(join(tmpdir(), 'console-'));
  await writeFile(join(dir, 'bad.xml'), '<EntityDescriptor><not closed');
  await page.fill('#f-label', label);
  await page.check('#trust-xml');
  await page.setInputFiles('#f-metadata_file', join(dir, 'bad.xml'));
  let res = await Promise.all([page.waitForNavigation(), page.click('form.provider-form button[type=submit]')]);
  seen.badXML = { status: res[0]?.status(), field: await page.textContent('#d-saml_provider_metadata_content').catch(() => '') };
  await page.check('#trust-fp');
  await page.fill('#f-saml_provider_cert_fingerprint', 'SHA256 Fingerprint=12:34');
  await page.fill('#f-saml_provider_sso_target_url', 'https://login.example.com/sso');
  await page.fill('#f-saml_provider_issuer_url', 'https://sts.example.com/');
  res = await Promise.all([page.waitForNavigation(), page.click('form.provider-form button[type=submit]')]);
  seen.badFingerprint = { status: res[0]?.status(), field: await page.textContent('#d-saml_provider_cert_fingerprint').catch(() => '') };
  await check(page, 'console-provider-field-errors');

  // The real metadata file.
  await page.check('#trust-xml');
  await page.fill('#f-saml_provider_issuer_url', '');
  await page.fill('#f-saml_provider_metadata_content', '');
  await page.setInputFiles('#f-metadata_file', metadataFile);
  await page.check('#f-provision_users');
  await Promise.all([page.waitForURL(/\/admin\/providers\/\d+/), page.click('form.provider-form button[type=submit]')]);
  seen.providerURL = new URL(page.url()).pathname;
  await check(page, 'console-provider');
  seen.values = await page.$$eval('section[aria-labelledby=paste] dl.values dt', (dts) =>
    Object.fromEntries(dts.map((dt) => [dt.textContent.trim(), dt.nextElementSibling.querySelector('code')?.textContent ?? ''])));
  seen.trust = (await page.textContent('section[aria-labelledby=trust]')).replace(/\s+/g, ' ').trim();
  await page.click('section[aria-labelledby=paste] button.copy >> nth=0');
  seen.copied = await page.evaluate(() => navigator.clipboard.readText());

  // SCIM token: generated, shown once; reset, the new one shown once.
  const token = async () => page.$eval('dl.values', (dl) => {
    for (const dt of dl.querySelectorAll('dt')) if (dt.textContent.trim() === 'Secret Token') return dt.nextElementSibling.querySelector('code').textContent;
    return '';
  });
  await page.click('button:has-text("Generate token")');
  await check(page, 'console-scim-token');
  seen.token1 = await token();
  await page.click('text=Done');
  await page.click('button:has-text("Reset token")');
  seen.token2 = await token();
  await page.click('text=Done');
  seen.scimSection = (await page.textContent('section[aria-labelledby=scim]')).replace(/\s+/g, ' ').trim();

  // A form left open in a second tab across a new sign-in (a new CSRF
  // token) is refused and changes nothing.
  const tab = await context.newPage();
  await tab.goto(base + seen.providerURL + '/edit');
  await page.click('form[action="/logout"] button[type=submit]');
  await signIn(page);
  await tab.fill('#f-label', 'Changed by a stale tab');
  res = await Promise.all([tab.waitForNavigation(), tab.click('form.provider-form button[type=submit]')]);
  seen.staleForm = { status: res[0]?.status(), text: (await text(tab)).slice(0, 300) };
  await tab.close();

  // Sign in with the button the provider put on the login page.
  await page.click('form[action="/logout"] button[type=submit]');
  await page.goto(base + '/login');
  await page.getByRole('link', { name: 'Sign in with ' + label }).click();
  await page.waitForURL((u) => u.origin === ours && u.pathname === '/');
  seen.ssoHome = await text(page);
  await page.click('form[action="/logout"] button[type=submit]');
  await page.waitForURL((u) => u.origin === ours && u.pathname === '/login', { timeout: 10000 }).catch(() => {});

  // The sign-in is in the logs.
  await page.context().clearCookies();
  await signIn(page);
  await page.goto(base + '/admin/logs/sso?event_type=saml_login&status=success');
  await check(page, 'console-logs');
  seen.logRows = await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, ' ').trim()));
  await page.click('main table tbody tr >> nth=0 >> a');
  await check(page, 'console-log-entry');
  seen.logEntry = (await text(page)).slice(0, 600);
  await page.goto(base + '/admin/settings');
  await check(page, 'console-settings');
  await page.goto(base + '/admin/providers');
  await check(page, 'console-providers');
  seen.providersRow = await page.$eval('main table tbody tr', (tr) => tr.textContent.replace(/\s+/g, ' ').trim());

  // The same identity provider trusted by fingerprint instead of metadata.
  await page.goto(base + seen.providerURL + '/edit');
  await page.check('#trust-fp');
  await page.fill('#f-saml_provider_cert_fingerprint', fingerprint);
  await page.fill('#f-saml_provider_sso_target_url', ssoURL);
  await page.fill('#f-saml_provider_issuer_url', issuer);
  await Promise.all([page.waitForURL(/\/admin\/providers\/\d+\?saved/), page.click('form.provider-form button[type=submit]')]);
  seen.fpTrust = (await page.textContent('section[aria-labelledby=trust]')).replace(/\s+/g, ' ').trim();
  await page.click('form[action="/logout"] button[type=submit]');
  await page.goto(base + '/login');
  await page.getByRole('link', { name: 'Sign in with ' + label }).click();
  await page.waitForURL((u) => u.origin === ours && u.pathname === '/');
  seen.fpHome = await text(page);
  await page.context().clearCookies();
  await signIn(page);

  // Narrow screens: the providers list and a provider's page at 375 px.
  await page.setViewportSize({ width: 375, height: 800 });
  await check(page, 'console-providers-narrow');
  await page.goto(base + seen.providerURL);
  await check(page, 'console-provider-narrow');
  console.log(JSON.stringify(seen));
} catch (err) {
  await failed(browser, seen, err);
} finally {
  await browser.close();
}
