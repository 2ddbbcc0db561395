// Opens files a user uploaded, the way a site admin would click a link to
// them, in a real Chromium: once signed in to the web app with the WebDAV
// Basic credentials at hand too, and once with the WebDAV credentials only.
// The files are an attack: evil.html loads evil.js, which reads the CSRF
// token from / and asks the REST API for a new API key with the admin's
// session, and writes through WebDAV with the admin's Basic credentials.
// Every request the pages make is recorded; one to a path that starts with
// /evil-ran means script of the uploaded file ran.
// Prints one JSON line with what it saw; exits non-zero on failure.
//
// usage: node open-user-file.mjs BASE_URL USERNAME PASSWORD URL...
import { chromium } from 'playwright-core';

const [base, username, password, ...urls] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'],
});
const seen = { signedIn: false, opened: [] };

// open visits each URL in a fresh page of ctx and waits long enough for any
// script of the page to run and make its requests.
const open = async (ctx, how) => {
  for (const url of urls) {
    const page = await ctx.newPage();
    const visit = { how, url, requests: [], downloaded: false, error: '' };
    page.on('request', (req) => visit.requests.push(req.method() + ' ' + new URL(req.url()).pathname));
    page.on('download', () => { visit.downloaded = true; });
    try {
      await page.goto(base + url, { waitUntil: 'load', timeout: 10000 });
    } catch (err) {
      visit.error = String(err.message || err).split('\n')[0];
    }
    await page.waitForTimeout(1500);
    seen.opened.push(visit);
    await page.close();
  }
};

try {
  const creds = { httpCredentials: { username, password }, acceptDownloads: true };

  const signedIn = await browser.newContext(creds);
  const page = await signedIn.newPage();
  await page.goto(base + '/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.pathname === '/');
  seen.signedIn = (await page.textContent('body')).includes(username);
  await page.close();
  await open(signedIn, 'session and dav credentials');

  const davOnly = await browser.newContext(creds);
  await open(davOnly, 'dav credentials only');
  console.log(JSON.stringify(seen));
} catch (err) {
  console.log(JSON.stringify(seen));
  console.error(err);
  process.exitCode = 1;
} finally {
  await browser.close();
}
