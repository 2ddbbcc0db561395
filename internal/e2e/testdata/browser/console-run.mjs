// What the console's browser scripts share: Chromium as this machine runs
// it (no network beyond loopback, an identity provider's host name mapped
// to loopback when given), page text squashed to one line, screenshots
// into the directory make screenshots names ("-": none) with axe-core's
// serious and critical violations recorded per page, and signing in.
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { seriousViolations } from './axe.mjs';

// launch starts Chromium; idpHost, when set, resolves to 127.0.0.1 in this
// browser only, so an identity provider's pages are cross-site as in
// production.
export async function launch(idpHost) {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'];
  if (idpHost) args.push(`--host-resolver-rules=MAP ${idpHost} 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`);
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
}

// squash is text on one line.
export const squash = (s) => (s || '').replace(/\s+/g, ' ').trim();

// text is what a page shows in sel (its main part, else its body).
export const text = async (page, sel = 'main, body') => squash(await page.textContent(sel));

// checker returns shoot (a full-page screenshot) and check (axe-core's
// verdict kept in seen.axe, then the screenshot) for a run.
export function checker(seen, shots) {
  const shoot = async (page, name) => {
    if (shots !== '-') await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
  };
  const check = async (page, name) => {
    seen.axe[name] = await seriousViolations(page);
    await shoot(page, name);
  };
  return { shoot, check };
}

// signIn signs in with a password on the login page and waits for home.
export async function signIn(page, base, username, password) {
  await page.goto(base + '/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL(new URL(base).origin + '/');
}

// failed reports a run that stopped: the error, and the page it stopped
// on (the last one opened) with its text, printed as the run's one JSON
// line, with a failing exit code.
export async function failed(browser, seen, err) {
  seen.error = String(err);
  try {
    const pages = browser.contexts()[0].pages();
    const p = pages[pages.length - 1];
    seen.stoppedAt = p.url();
    seen.stoppedText = (await text(p, 'body')).slice(0, 2000);
  } catch {}
  console.log(JSON.stringify(seen));
  process.exitCode = 1;
}
