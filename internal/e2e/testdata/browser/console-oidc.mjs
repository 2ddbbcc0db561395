// Connects an OpenID provider the way an admin does in the console, in a
// real Chromium: sign in, add "Another OpenID Connect provider" (after a
// wrong issuer, and an Entra provider with a wrong tenant, are refused next
// to their fields), read the Redirect URI, open the edit form (the client
// secret is never shown) and save it with the secret left empty, sign out,
// sign in with the login page's "Sign in with …" button through the
// provider's login page, and find that sign-in in the console's logs.
// axe-core checks every page of ours. Prints one JSON line with what it
// saw; exits non-zero on failure.
//
// usage: node console-oidc.mjs BASE_URL ADMIN PASSWORD LABEL ISSUER WRONG_ISSUER
//        CLIENT_ID CLIENT_SECRET ACCOUNT OP_BASE WRONG_TENANT SHOTS_DIR
// SHOTS_DIR may be "-" for no screenshots.
import { checker, failed, launch, signIn as signInAs, text as pageText } from './console-run.mjs';

const [base, admin, password, label, issuer, wrongIssuer, clientID, clientSecret, account, opBase, wrongTenant, shots] =
  process.argv.slice(2);
const browser = await launch();
const ours = new URL(base).origin;
const op = new URL(opBase).origin;
const seen = { axe: {}, refused: [], authRequests: [] };
const text = (page) => pageText(page);
const { check } = checker(seen, shots);
const signIn = (page) => signInAs(page, base, admin, password);
const submit = async (page) => {
  const [res] = await Promise.all([page.waitForNavigation(), page.click('form.provider-form button[type=submit]')]);
  return res?.status();
};
const hint = async (page, name) => (await page.textContent('#d-' + name).catch(() => '')).replace(/\s+/g, ' ').trim();

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.refused.push(m.text());
  });
  // The authorization requests the server sent the browser to: their
  // redirect_uri is what the server really uses.
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin === op && u.searchParams.has('redirect_uri')) seen.authRequests.push(r.url());
  });
  await signIn(page);

  await page.goto(base + '/admin/providers');
  await page.click('text=Add provider');
  await check(page, 'console-oidc-add-provider');

  // Entra with a tenant that is not the app's: refused beside the tenant.
  await page.click('text=Microsoft Entra ID (OpenID Connect)');
  await check(page, 'console-entra-oidc-form');
  await page.fill('#f-label', 'Wrong tenant');
  await page.fill('#f-oidc_tenant_id', wrongTenant);
  await page.fill('#f-oidc_authority', opBase);
  await page.fill('#f-client_id', clientID);
  await page.fill('#f-client_secret', clientSecret);
  seen.wrongTenant = { status: await submit(page), field: await hint(page, 'oidc_tenant_id'),
    invalid: await page.getAttribute('#f-oidc_tenant_id', 'aria-invalid'), top: await page.textContent('main > p.error').catch(() => '') };
  await check(page, 'console-entra-oidc-wrong-tenant');

  // The generic kind: a wrong issuer first, then the right one.
  await page.goto(base + '/admin/new-provider');
  await page.click('text=Another OpenID Connect provider');
  await check(page, 'console-oidc-form');
  await page.fill('#f-label', label);
  await page.fill('#f-oidc_issuer_url', wrongIssuer);
  await page.fill('#f-client_id', clientID);
  await page.fill('#f-client_secret', clientSecret);
  await page.check('#f-provision_users');
  seen.wrongIssuer = { status: await submit(page), field: await hint(page, 'oidc_issuer_url'),
    invalid: await page.getAttribute('#f-oidc_issuer_url', 'aria-invalid'), top: await page.textContent('main > p.error').catch(() => ''),
    secretShown: await page.inputValue('#f-client_secret') };
  await check(page, 'console-oidc-wrong-issuer');
  await page.fill('#f-oidc_issuer_url', issuer);
  await page.fill('#f-client_secret', clientSecret);
  await Promise.all([page.waitForURL(/\/admin\/providers\/\d+/), page.click('form.provider-form button[type=submit]')]);
  seen.providerURL = new URL(page.url()).pathname;
  await check(page, 'console-oidc-provider');
  seen.values = await page.$$eval('section[aria-labelledby=paste] dl.values dt', (dts) =>
    Object.fromEntries(dts.map((dt) => [dt.textContent.trim(), dt.nextElementSibling.querySelector('code')?.textContent ?? ''])));

  // The secret is write-only: the edit form has it empty and says it is
  // set; saving with it empty keeps it.
  await page.click('text=Edit settings');
  await check(page, 'console-oidc-edit');
  seen.edit = { secretValue: await page.inputValue('#f-client_secret'),
    secretLabel: (await page.textContent('label[for=f-client_secret]')).trim(),
    secretInHTML: (await page.content()).includes(clientSecret) };
  await page.fill('#f-label', label);
  await Promise.all([page.waitForURL(/\/admin\/providers\/\d+\?saved=updated/), page.click('form.provider-form button[type=submit]')]);
  seen.saved = await page.textContent('main p.notice').catch(() => '');

  // Sign out, and sign in with the provider's button.
  await page.click('form[action="/logout"] button[type=submit]');
  await page.waitForURL((u) => u.origin === ours && u.pathname === '/login');
  await check(page, 'login-with-oidc');
  await page.getByRole('link', { name: 'Sign in with ' + label }).click();
  await page.waitForURL((u) => u.origin === op);
  seen.opPage = new URL(page.url()).pathname;
  await page.fill('input[name=login]', account);
  await Promise.all([page.waitForURL((u) => u.origin === ours && u.pathname === '/'), page.press('input[name=login]', 'Enter')]);
  await check(page, 'oidc-signed-in');
  seen.ssoHome = await text(page);
  await page.click('form[action="/logout"] button[type=submit]');
  await page.waitForURL((u) => u.origin === ours && u.pathname === '/login', { timeout: 10000 }).catch(() => {});

  // The sign-in is in the logs.
  await context.clearCookies();
  await signIn(page);
  await page.goto(base + '/admin/logs/sso?event_type=oidc_login&status=success');
  await check(page, 'console-oidc-logs');
  seen.logRows = await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, ' ').trim()));
  await page.click('main table tbody tr >> nth=0 >> a');
  await check(page, 'console-oidc-log-entry');
  seen.logEntry = (await text(page)).slice(0, 600);
  console.log(JSON.stringify(seen));
} catch (err) {
  await failed(browser, seen, err);
} finally {
  await browser.close();
}
