// Plays one person's browser through a list of steps in a real Chromium,
// each in the same browser context (one cookie jar), and reports what it
// saw after each: the URL, the page's text and whether our session cookie
// is set. The Go tests use it for sign-ins that must work and for
// sign-ins an attacker pushes into a victim's browser, which must not.
//
// usage: node browse.mjs PLAN_JSON
//   {"base": "http://127.0.0.1:PORT",         // our server; its origin's cookies are reported
//    "hosts": ["idp.test", "acme.files.test"], // names this browser resolves to 127.0.0.1
//    "steps": [
//      {"goto": URL},                          // open a page
//      {"click": "Sign in with Contoso"},      // click the link or button with this name
//      {"fill": "input[name=login]", "value": "alice", "press": "Enter"},
//      {"waitPath": "/", "origin": URL}        // wait until the page is at this path (of origin, default base)
//    ]}
// Each step may also say "settle": true, to wait until the page has
// loaded and the network is quiet before reporting.
// Prints one JSON line {"steps": [{"url", "text", "session"}], "navigations": [...],
// "error"}; exits non-zero when a step could not be done.
import { chromium } from 'playwright-core';

const plan = JSON.parse(process.argv[2]);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const rules = (plan.hosts || []).map((h) => `MAP ${h} 127.0.0.1`).concat(['MAP * ~NOTFOUND', 'EXCLUDE 127.0.0.1']);
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-proxy-server', `--host-resolver-rules=${rules.join(', ')}`],
});
const out = { steps: [], navigations: [] };
const text = async (page) => ((await page.textContent('body')) || '').replace(/\s+/g, ' ').trim().slice(0, 2000);

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) {
      out.navigations.push(`${req.method()} ${req.url()}`);
    }
  });
  for (const step of plan.steps) {
    if (step.goto) {
      await page.goto(step.goto);
    } else if (step.click) {
      await page.getByRole('link', { name: step.click }).or(page.getByRole('button', { name: step.click })).first().click();
    } else if (step.fill) {
      await page.fill(step.fill, step.value);
      if (step.press) await page.press(step.fill, step.press);
    }
    if (step.waitPath) {
      const origin = new URL(step.origin || plan.base).origin;
      await page.waitForURL((u) => u.origin === origin && u.pathname === step.waitPath);
    }
    if (step.settle) {
      await page.waitForLoadState('networkidle');
    }
    const cookies = await context.cookies(page.url());
    out.steps.push({
      url: page.url(),
      text: await text(page),
      session: cookies.some((c) => c.name === 'gatehouse_session' && c.value !== ''),
    });
  }
  console.log(JSON.stringify(out));
} catch (err) {
  out.error = String(err);
  try {
    const page = browser.contexts()[0].pages()[0];
    out.steps.push({ url: page.url(), text: await text(page), session: false, failed: true });
  } catch {}
  console.log(JSON.stringify(out));
  console.error(err);
  process.exitCode = 1;
} finally {
  await browser.close();
}
