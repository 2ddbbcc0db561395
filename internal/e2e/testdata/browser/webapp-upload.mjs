// Uploads one file through the web app's file page in a real Chromium and
// prints how long the upload took, from picking the file to the server's
// answer to the upload's end (the page's own script does the work: parts
// through the REST API's begin_upload flow). For the upload benchmark.
//
// With MODE "one-put" it measures instead what this browser can send at
// all: the whole file in one XMLHttpRequest PUT to WebDAV on the same
// server, from the same page (the browser's own ceiling, whatever the
// app does).
//
// usage: node webapp-upload.mjs BASE_URL USER PASSWORD FILE [MODE]
// Prints one JSON line {"ms": N}; exits non-zero on failure.
import { chromium } from 'playwright-core';

const [base, user, password, file, mode] = process.argv.slice(2);
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
  if (mode === 'one-put') {
    await page.evaluate(() => {
      const input = document.createElement('input');
      input.type = 'file';
      input.id = 'raw';
      document.body.append(input);
    });
    await page.setInputFiles('#raw', file);
    const ms = await page.evaluate(([u, p]) => new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const start = performance.now();
      xhr.open('PUT', '/dav/one-put.bin', true, u, p);
      xhr.onload = () => (xhr.status < 300 ? resolve(Math.round(performance.now() - start)) : reject(new Error('PUT ' + xhr.status)));
      xhr.onerror = () => reject(new Error('PUT failed'));
      xhr.send(document.getElementById('raw').files[0]);
    }), [user, password]);
    console.log(JSON.stringify({ ms }));
  } else {
    const start = Date.now();
    await page.setInputFiles('#pick-files', file);
    await page.waitForSelector('#transfer-list li.done, #transfer-list li.failed', { timeout: 30 * 60 * 1000 });
    const ms = Date.now() - start;
    const state = await page.textContent('#transfer-list li .state');
    if (state !== 'done') throw new Error('upload ' + state);
    console.log(JSON.stringify({ ms }));
  }
  await browser.close();
} catch (err) {
  await browser.close();
  console.error(err);
  process.exit(1);
}
