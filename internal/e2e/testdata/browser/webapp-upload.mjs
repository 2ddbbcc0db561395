// Uploads one file through the web app's file page in a real Chromium and
// prints how long the upload took, from picking the file to the server's
// answer to the upload's end (the page's own script does the work: parts
// through the REST API's begin_upload flow). For the upload benchmark.
//
// usage: node webapp-upload.mjs BASE_URL USER PASSWORD FILE
// Prints one JSON line {"ms": N}; exits non-zero on failure.
import { chromium } from 'playwright-core';

const [base, user, password, file] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto(base + '/login');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  await page.goto(base + '/files/');
  const start = Date.now();
  await page.setInputFiles('#pick-files', file);
  await page.waitForSelector('#transfer-list li.done, #transfer-list li.failed', { timeout: 30 * 60 * 1000 });
  const ms = Date.now() - start;
  const state = await page.textContent('#transfer-list li .state');
  if (state !== 'done') throw new Error('upload ' + state);
  console.log(JSON.stringify({ ms }));
  await browser.close();
} catch (err) {
  await browser.close();
  console.error(err);
  process.exit(1);
}
