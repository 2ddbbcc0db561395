// Signs in to Gatehouse through a SAML identity provider in a real
// Chromium, the three ways a person meets single sign-on:
//   1. SP-initiated: the login page's "Sign in with <label>" button, the
//      AuthnRequest to the IdP (HTTP-Redirect), the IdP's page posting the
//      response to our ACS (HTTP-POST), the signed-in home page;
//   1b. the person's file page: a file uploaded by the page and listed
//   2. sign-out with single logout: our LogoutRequest to the IdP's SLO URL
//      and its LogoutResponse back to ours, ending at the login page;
//   3. IdP-initiated: the IdP posts an unsolicited response (Entra's "Test"
//      button, My Apps).
// The IdP's host name (IDP_HOST) resolves to 127.0.0.1 inside this browser
// only, so the post to our ACS is cross-site, as in production, and no
// other name resolves at all: nothing leaves loopback.
// Prints one JSON line with what it saw; exits non-zero on failure.
//
// usage: node saml-sign-in.mjs BASE_URL IDP_BASE_URL IDP_HOST LABEL SCREENSHOT_DIR
import { chromium } from 'playwright-core';

const [base, idpBase, idpHost, label, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-proxy-server',
    `--host-resolver-rules=MAP ${idpHost} 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`],
});
const ours = new URL(base).origin;
const seen = { navigations: [], refused: [] };

// where describes a URL as the test compares it: the path on our server,
// or "idp:" and the path on the identity provider.
const where = (u) => {
  const url = new URL(u);
  if (url.origin === ours) return url.pathname;
  if (url.origin === new URL(idpBase).origin) return 'idp:' + url.pathname;
  return url.origin + url.pathname;
};
const text = async (page) => (await page.textContent('body')).replace(/\s+/g, ' ').trim();
const sessionCookie = async (page) => {
  const c = (await page.context().cookies(ours)).find((c) => c.name === 'gatehouse_session');
  return c ? { httpOnly: c.httpOnly, sameSite: c.sameSite, secure: c.secure } : null;
};
// onOurs waits until the page shows path on our server.
const onOurs = (page, path, options) => page.waitForURL((u) => u.origin === ours && u.pathname === path, options);

try {
  const page = await browser.newPage();
  // The identity provider is pysaml2, whose pages take seconds on a busy
  // 2-core runner; the checks are on where the browser ends, not how fast.
  page.setDefaultTimeout(30000);
  // Every top-level navigation, with how the browser labelled it: the
  // post to the ACS must be a cross-site one.
  const pending = [];
  page.on('request', (req) => {
    if (!req.isNavigationRequest() || req.frame() !== page.mainFrame()) return;
    pending.push(req.allHeaders().then((h) => {
      seen.navigations.push({ method: req.method(), where: where(req.url()), fetchSite: h['sec-fetch-site'] || '' });
    }).catch(() => {}));
  });
  // Anything the page was not allowed to do (a CSP violation, a blocked
  // redirect) shows up as a console error or a failed request; an error
  // answer as a response. The browser's own favicon probe is no concern.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.refused.push(m.text());
  });
  page.on('requestfailed', (req) => seen.refused.push(`${req.method()} ${where(req.url())}: ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400 && new URL(res.url()).pathname !== '/favicon.ico') {
      seen.refused.push(`${res.request().method()} ${where(res.url())}: ${res.status()}`);
    }
  });

  // 1. SP-initiated.
  await page.goto(base + '/login');
  const button = page.getByRole('link', { name: 'Sign in with ' + label });
  seen.buttonHref = await button.getAttribute('href');
  await button.click();
  await onOurs(page, '/');
  seen.spInitiated = { home: await text(page), cookie: await sessionCookie(page) };
  await page.screenshot({ path: shots + '/sp-initiated.png' });
  const signedIn = (await page.context().cookies(ours)).find((c) => c.name === 'gatehouse_session');

  // 1b. The signed-in person's files: one uploaded by the file page's
  // script (the REST API's parts flow, with the SSO session), then the
  // folder shown again with it.
  await page.goto(base + '/files/');
  const reloaded = page.waitForEvent('load');
  reloaded.catch(() => {});
  await page.setInputFiles('#pick-files', { name: 'from-saml.txt', mimeType: 'text/plain', buffer: Buffer.from('signed in through SAML\n') });
  await reloaded;
  seen.ssoFiles = await page.$$eval('table.files tbody td[data-label="Name"]', (tds) => tds.map((td) => td.textContent.trim()));
  await page.goto(base + '/');

  // 2. Sign out with single logout: through the IdP and back to /login.
  // Should the browser stop on the way, say where, and go on with the
  // IdP-initiated sign-in, so one run reports everything.
  await page.click('form[action="/logout"] button[type=submit]');
  seen.afterLogout = {};
  try {
    // pysaml2 answers the logout in seconds on a busy 2-core runner; the
    // page's own default (30 s) is the limit, as for its other pages.
    await onOurs(page, '/login');
  } catch {
    seen.afterLogout.stuckAt = where(page.url());
  }
  seen.afterLogout.cookie = await sessionCookie(page);
  await page.goto(base + '/');
  seen.afterLogout.home = where(page.url());
  // The old session cookie, put back, opens nothing: the session is gone
  // on the server, not only in this browser.
  if (signedIn) {
    await page.context().addCookies([signedIn]);
    await page.goto(base + '/');
    seen.afterLogout.oldCookie = where(page.url());
    await page.context().clearCookies();
  }

  // 3. IdP-initiated.
  await page.goto(idpBase + '/idp-initiated');
  await onOurs(page, '/');
  seen.idpInitiated = { home: await text(page), cookie: await sessionCookie(page) };
  await page.screenshot({ path: shots + '/idp-initiated.png' });

  await Promise.all(pending);
  console.log(JSON.stringify(seen));
} catch (err) {
  seen.error = String(err);
  try {
    const page = browser.contexts()[0].pages()[0];
    seen.stoppedAt = where(page.url());
    seen.stoppedText = (await text(page)).slice(0, 2000);
  } catch {}
  console.log(JSON.stringify(seen));
  console.error(err);
  process.exitCode = 1;
} finally {
  await browser.close();
}
