// Drives the web app's file pages in a real Chromium as a user would: sign
// in, upload files by the button, a whole folder by the folder picker and
// a file by drag and drop,
// upload a file whose second part meets a dropped connection (the script
// must send it again and finish), cancel an upload under way, make a
// folder, rename, move and delete (after the confirmation page), download
// a zip of a selection, and open a text preview. Runs axe-core on each
// page, measures it at 375 px, and takes screenshots (SCREENSHOT_DIR "-"
// for none). Prints one JSON line with what it saw; exits non-zero on
// failure.
//
// usage: node webapp-files.mjs BASE_URL USER PASSWORD FILES_DIR SCREENSHOT_DIR MID_PART
//   FILES_DIR holds small.txt, notes.md, big.bin and resumed.bin (over two parts),
//   slow.bin (for the cancel) and the folder "project/".
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { seriousViolations } from './axe.mjs';

const [base, user, password, filesDir, shots, midPart] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const seen = { axe: {}, widths: {}, refused: [] };
const text = async (page, sel) => ((await page.textContent(sel)) || '').replace(/\s+/g, ' ').trim();
const names = (page) => page.$$eval('table.files tbody td[data-label="Name"]', (tds) => tds.map((td) => td.textContent.trim()));

const shoot = async (page, name) => {
  if (shots !== '-') await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
};

async function check(page, name, narrow) {
  seen.axe[name] = await seriousViolations(page);
  await shoot(page, 'app-' + name);
  await page.setViewportSize({ width: 375, height: 800 });
  seen.widths[name] = await page.evaluate(() => document.documentElement.scrollWidth);
  if (narrow) await shoot(page, 'app-' + name + '-narrow');
  await page.setViewportSize({ width: 1280, height: 900 });
}

// uploadAndWait picks files (or a folder) and waits for the page to show
// the folder again once every upload has finished.
async function uploadAndWait(page, input, files) {
  const reloaded = page.waitForEvent('load', { timeout: 600000 });
  reloaded.catch(() => {}); // reported by the await below, or moot after a failure
  await page.setInputFiles(input, files);
  await reloaded;
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Errors the page's console reports (a script or style the content
  // security policy refused, say); the injected part failure and the
  // test's connection reset are expected, and named so.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.refused.push(m.text());
  });
  await page.goto(base + '/login');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));

  await page.goto(base + '/files/');
  seen.emptyTitle = await text(page, 'h1');
  await check(page, 'files-empty');

  // Files by the button; the big one is sent in parts.
  await uploadAndWait(page, '#pick-files', [join(filesDir, 'small.txt'), join(filesDir, 'notes.md'), join(filesDir, 'big.bin')]);
  seen.afterUpload = await names(page);

  // A whole folder by the folder picker: its tree arrives under its name.
  await uploadAndWait(page, '#pick-folder', join(filesDir, 'project'));
  seen.afterFolder = await names(page);

  // 201 files dragged and dropped on the zone of a new folder.
  await page.fill('#new-folder', 'inbox');
  await page.click('form:has(#new-folder) button[type=submit]');
  await page.waitForURL(/done=mkdir/);
  await page.goto(base + '/files/inbox/');
  const dt = await page.evaluateHandle(() => {
    const d = new DataTransfer();
    d.items.add(new File(['dropped\n'], 'dropped.txt', { type: 'text/plain' }));
    for (let i = 0; i < 200; i++) {
      d.items.add(new File([`file ${i}\n`.repeat(i + 1)], `drop-${String(i).padStart(3, '0')}.txt`, { type: 'text/plain' }));
    }
    return d;
  });
  const dropReload = page.waitForEvent('load', { timeout: 120000 });
  dropReload.catch(() => {});
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: dt });
  await dropReload;
  seen.afterDrop = await names(page);
  seen.dropCount = Number((await text(page, '#count')).split(' ')[0]);

  // A connection reset on the second part of a file (the browser's own
  // network error, injected by the test's interception): the part is
  // sent again.
  let dropped = 0;
  await page.route('**/api/rest/v1/file_uploads/**', async (route) => {
    const u = new URL(route.request().url());
    if (u.searchParams.get('part') === '2' && dropped === 0) {
      dropped++;
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await page.goto(base + '/files/');
  await uploadAndWait(page, '#pick-files', join(filesDir, 'resumed.bin'));
  seen.dropped = dropped;
  await page.unroute('**/api/rest/v1/file_uploads/**');

  // A 2 GiB file whose request for the part half-way fails once as a
  // dropped connection does (an error event and no answer). Interception
  // would carry every part's bytes through the test tool, so the failure
  // is made in the page instead.
  await page.evaluate((mid) => {
    const open = XMLHttpRequest.prototype.open;
    const send = XMLHttpRequest.prototype.send;
    let failed = false;
    XMLHttpRequest.prototype.open = function (method, url, ...rest) {
      this.gatehouseURL = String(url);
      return open.call(this, method, url, ...rest);
    };
    XMLHttpRequest.prototype.send = function (body) {
      if (!failed && new URL(this.gatehouseURL, location.href).searchParams.get('part') === String(mid)) {
        failed = true;
        sessionStorage.setItem('gatehouseDropped', 'yes');
        setTimeout(() => { this.dispatchEvent(new ProgressEvent('error')); this.dispatchEvent(new ProgressEvent('loadend')); }, 50);
        return undefined;
      }
      return send.call(this, body);
    };
  }, Number(midPart));
  const hugeStart = Date.now();
  await uploadAndWait(page, '#pick-files', join(filesDir, 'huge.bin'));
  seen.hugeSeconds = (Date.now() - hugeStart) / 1000;
  seen.hugeDropped = await page.evaluate(() => sessionStorage.getItem('gatehouseDropped') === 'yes');

  // Cancel: the parts are held back so the upload is still under way
  // when the button is pressed; nothing appears in the folder.
  await page.route('**/api/rest/v1/file_uploads/**', async (route) => {
    await new Promise((r) => setTimeout(r, 3000));
    await route.continue().catch(() => {});
  });
  await page.setInputFiles('#pick-files', join(filesDir, 'slow.bin'));
  await page.waitForSelector('#transfer-list li.sending');
  await shoot(page, 'app-files-uploading');
  await page.click('#transfer-list li button');
  await page.waitForSelector('#transfer-list li.cancelled');
  seen.cancelState = await text(page, '#transfer-list li .state');
  await page.unroute('**/api/rest/v1/file_uploads/**');
  await page.goto(base + '/files/');
  seen.afterCancel = await names(page);
  await check(page, 'files', true);

  // Make a folder, rename a file, move it into the folder.
  await page.fill('#new-folder', 'Reports');
  await page.click('form:has(#new-folder) button[type=submit]');
  await page.waitForURL(/done=mkdir/);
  seen.mkdirNotice = await text(page, '.notice');
  await page.check('input[name=sel][value="small.txt"]');
  await page.fill('#to-name', 'summary.txt');
  await page.click('button[value=rename]');
  await page.waitForURL(/done=rename/);
  await page.check('input[name=sel][value="summary.txt"]');
  await page.fill('#to-folder', '/Reports');
  await page.click('button[value=move]');
  await page.waitForURL(/done=move/);
  await page.goto(base + '/files/Reports/');
  seen.reports = await names(page);
  seen.crumbs = await text(page, 'nav.crumbs');
  await page.goto(base + '/files/');

  // Refusals shown as messages: moving into a group folder the user may
  // only read, and opening another user's folder.
  await page.goto(base + '/files/');
  await page.check('input[name=sel][value="notes.md"]');
  await page.fill('#to-folder', '/groups/Finance');
  await page.click('button[value=move]');
  seen.readOnlyRefusal = await text(page, '.error');
  await page.goto(base + '/files/groups/Finance/');
  seen.readOnlyOffersUpload = (await page.$('#upload')) !== null;
  await page.goto(base + '/files/users/bob/');
  seen.otherUserRefusal = await text(page, '.error');
  await check(page, 'refused');
  await page.goto(base + '/files/');

  // A zip of a selection.
  await page.check('input[name=sel][value="project"]');
  await page.check('input[name=sel][value="notes.md"]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[formaction^="/zip/"]')]);
  seen.zipName = download.suggestedFilename();
  seen.zipPath = join(filesDir, 'got.zip');
  await download.saveAs(seen.zipPath);

  // Delete asks first, on its own page.
  await page.goto(base + '/files/');
  await page.check('input[name=sel][value="big.bin"]');
  await page.click('button[value=delete]');
  await page.waitForSelector('input[name=confirm]', { state: 'attached' });
  seen.confirmTitle = await text(page, 'h1');
  await check(page, 'confirm-delete');
  await page.click('button.danger');
  await page.waitForURL(/done=delete/);
  seen.afterDelete = await names(page);

  // A text preview.
  await page.goto(base + '/preview/notes.md');
  seen.previewText = await text(page, 'pre.preview');
  await check(page, 'preview');

  await browser.close();
  console.log(JSON.stringify(seen));
} catch (err) {
  await browser.close();
  console.error(err);
  console.log(JSON.stringify({ ...seen, error: String(err) }));
  process.exit(1);
}
