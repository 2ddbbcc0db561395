// Signs in to Gatehouse in a real Chromium as a person would on first run:
// open the login page, type the printed one-time password, get sent to the
// password change page, choose a new password, land on the signed-in page,
// sign out. Prints one JSON line with what it saw; exits non-zero on failure.
//
// usage: node first-sign-in.mjs BASE_URL USERNAME PASSWORD NEW_PASSWORD SCREENSHOT_DIR
import { chromium } from 'playwright-core';
import { seriousViolations } from './axe.mjs';

const [base, username, password, newPassword, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const seen = { axe: {} };
try {
  const page = await browser.newPage();
  await page.goto(base + '/');
  seen.redirectedToLogin = new URL(page.url()).pathname === '/login';
  seen.axe.login = await seriousViolations(page);

  // A wrong password first: the page must say so without saying which part was wrong.
  await page.fill('#username', username);
  await page.fill('#password', password + 'wrong');
  await page.click('button[type=submit]');
  seen.wrongPasswordText = (await page.textContent('body')).replace(/\s+/g, ' ').trim();

  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  seen.afterLogin = new URL(page.url()).pathname;
  await page.screenshot({ path: shots + '/password-change.png' });
  // The rules are on the form before anyone gets them wrong.
  seen.passwordRules = (await page.textContent('#password-rules')).replace(/\s+/g, ' ').trim();
  seen.axe.password = await seriousViolations(page);

  // Every other page sends a person who must change their password back here.
  await page.goto(base + '/');
  seen.homeWhileChangeRequired = new URL(page.url()).pathname;

  await page.fill('#current_password', password);
  await page.fill('#new_password', newPassword);
  await page.fill('#confirm_password', newPassword);
  await page.click('form[action="/password"] button[type=submit]');
  await page.waitForURL((u) => u.pathname === '/');
  // The page the change lands on says it worked.
  seen.changedNotice = (await page.textContent('body')).replace(/\s+/g, ' ').trim();
  seen.axe.home = await seriousViolations(page);
  await page.goto(base + '/');
  seen.afterChange = new URL(page.url()).pathname;
  seen.homeText = (await page.textContent('body')).replace(/\s+/g, ' ').trim();
  await page.screenshot({ path: shots + '/signed-in.png' });

  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'gatehouse_session');
  seen.sessionCookie = session ? { httpOnly: session.httpOnly, sameSite: session.sameSite } : null;

  await page.click('form[action="/logout"] button[type=submit]');
  await page.goto(base + '/');
  seen.afterLogout = new URL(page.url()).pathname;
  console.log(JSON.stringify(seen));
} catch (err) {
  console.log(JSON.stringify(seen));
  console.error(err);
  process.exitCode = 1;
} finally {
  await browser.close();
}
