// browser.mjs: the browser part of tests/e2e/test_web.sh.  playwright-core
// drives Debian's chromium (headless) through sipwarden's admin page, the way
// an administrator would, and checks with `sipwarden ctl ... --json` and the
// config file that the daemon applied what the page did.
//
//   node browser.mjs URL
//
// Environment: SW_PASSWORD (the admin password), SW_ATTACKER (an address the
// daemon has blocked as a scanner), SIPWARDEN (the binary), SW_SOCK (its
// control socket), SW_CONF (its config file), SW_ARTIFACTS (directory for the
// screenshots), SW_CHROMIUM (default /usr/bin/chromium).
//
// Output: "ok - ..." / "not ok - ..." per check, "# ..." comments, "# done"
// when every step ran; exit status 1 on any failure.
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const URL = process.argv[2];
const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} is not set`);
  return v;
};
const PASSWORD = env('SW_PASSWORD');
const ATTACKER = env('SW_ATTACKER');
const SIPWARDEN = env('SIPWARDEN');
const SOCK = env('SW_SOCK');
const CONF = env('SW_CONF');
const ART = env('SW_ARTIFACTS');
const CHROMIUM = env('SW_CHROMIUM', '/usr/bin/chromium');
const WL = '203.0.113.99';
const RCPT = 'ops@example.com';
const UA = 'evilbot-web';

let failed = 0;
const ok = (m) => console.log(`ok - ${m}`);
const notok = (m, why) => {
  failed++;
  console.log(`not ok - ${m}`);
  for (const l of String(why ?? '').split('\n').slice(0, 8)) if (l) console.log(`#   ${l}`);
};
const note = (m) => console.log(`# ${m}`);

/* `sipwarden ctl ARGS --json`, parsed. */
function ctl(...args) {
  const out = execFileSync(SIPWARDEN, ['ctl', '-s', SOCK, ...args, '--json'], { encoding: 'utf8', timeout: 10000 });
  return JSON.parse(out);
}

/* The value of key in [section] of the config file, as config.c reads it. */
function ini(section, key) {
  let sec = '', val;
  for (const raw of readFileSync(CONF, 'utf8').split('\n')) {
    const s = raw.trim();
    if (s.startsWith('[') && s.includes(']')) sec = s.slice(1, s.indexOf(']')).trim().split(/\s+/).join(' ');
    else if (s && !';#'.includes(s[0]) && s.includes('=')) {
      const i = s.indexOf('=');
      if (sec === section && s.slice(0, i).trim() === key) val = s.slice(i + 1).replace(/[ \t][;#].*$/, '').trim();
    }
  }
  return val;
}

/* Polls fn (sync or async) until it returns a truthy value; throws the last
 * error or what after ms. */
async function until(what, fn, ms = 8000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}${last ? ': ' + last.message : ' (timed out)'}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const jsErrors = [];
let page;

/* One check: ok when fn resolves, not ok with the error (and the page's
 * state) when it throws.  Returns whether it passed. */
async function step(label, fn) {
  try {
    await fn();
    ok(label);
    return true;
  } catch (e) {
    let extra = '';
    try {
      const toast = await page.locator('#toast').textContent({ timeout: 500 });
      if (toast) extra = `\npage toast: ${toast}`;
    } catch { /* no page yet */ }
    notok(label, (e && e.message ? e.message.split('\n').slice(0, 4).join('\n') : String(e)) + extra);
    return false;
  }
}

async function shot(name) {
  const path = join(ART, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  note(`screenshot ${path}`);
}

async function tab(name) {
  await page.click(`#tab-${name}`);
  await page.locator(`#panel-${name}`).waitFor({ state: 'visible' });
}

const rowsText = (sel) => page.locator(`${sel} tbody tr`).allTextContents();

async function main() {
  mkdirSync(ART, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(8000);
    page.on('pageerror', (e) => jsErrors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      const t = m.text();
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (400|401|404)/.test(t))
        jsErrors.push(`console: ${t}`);
    });
    await run();
  } finally {
    await browser.close();
  }
}

async function run() {
  // ---- login page, a wrong password, then the right one ----
  const loaded = await step('the page loads and shows the login form', async () => {
    await page.goto(URL, { waitUntil: 'domcontentloaded' });
    await page.locator('#login').waitFor({ state: 'visible' });
  });
  if (!loaded) return;
  await step('a wrong password is refused with a message', async () => {
    await page.fill('#password', 'not the password');
    await page.click('#login-submit');
    await until('#login-error says "Wrong password."', async () =>
      /wrong password/i.test(await page.locator('#login-error').textContent()));
    if (await page.locator('#app').isVisible()) throw new Error('the app is shown after a wrong password');
  });
  await shot('login');
  const in_ = await step('log in with the right password', async () => {
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.locator('#app').waitFor({ state: 'visible' });
    if (await page.locator('#login').isVisible()) throw new Error('the login form is still shown');
  });
  if (!in_) return;

  // ---- dashboard ----
  await step(`Dashboard: the svmap attacker ${ATTACKER} among the top attackers, active blocks >= 1`, async () => {
    await until(`top attackers list ${ATTACKER}`, async () => (await rowsText('#top-attackers')).some((t) => t.includes(ATTACKER)));
    const n = Number(await page.locator('#stat-blocks').textContent());
    if (!(n >= 1)) throw new Error(`active blocks shows "${n}"`);
  });
  await step('Dashboard: the chart has 168 hourly bars', async () => {
    await until('168 bars', async () => (await page.locator('#chart rect.bar').count()) === 168);
  });
  await shot('dashboard');

  // ---- blocked addresses lists the attacker ----
  await step(`Blocked addresses lists ${ATTACKER} (scanner)`, async () => {
    await tab('blocks');
    await until(`a row for ${ATTACKER}`, async () =>
      (await rowsText('#blocks-table')).some((t) => t.includes(ATTACKER) && t.includes('scanner')));
  });

  // ---- general: block time and user agents, Save & Apply ----
  await step('General: change block time to 45m and add a blocked user agent, Save & Apply', async () => {
    await tab('general');
    await until('the settings are loaded', async () => (await page.inputValue('#block_time')) !== '');
    await page.fill('#block_time', '45m');
    const agents = await page.inputValue('#blocked_user_agents');
    await page.fill('#blocked_user_agents', `${agents.trimEnd()}\n${UA}`);
    await page.click('#save');
    await until('"Saved and applied."', async () => /saved and applied/i.test(await page.locator('#general-status').textContent()));
  });
  await step('General: ctl status --json shows block_time_s 2700 and the new user agent', async () => {
    await until('the daemon applied the settings', () => {
      const c = ctl('status').config;
      if (c.block_time_s !== 2700) throw new Error(`block_time_s is ${c.block_time_s}`);
      if (!c.blocked_user_agents.some((a) => a.toLowerCase() === UA)) throw new Error(`user agents: ${c.blocked_user_agents.join(', ')}`);
      return true;
    }, 4000);
  });
  await step('General: the config file has block_time = 45m and the user agent', async () => {
    const bt = ini('general', 'block_time'), ua = ini('sip', 'blocked_user_agents') ?? '';
    if (bt !== '45m' || !ua.includes(UA)) throw new Error(`block_time = ${bt}, blocked_user_agents = ${ua}`);
  });
  await step('General: a bad block time (5x) shows an error next to the field, the daemon keeps 45m', async () => {
    await page.fill('#block_time', '5x');
    await page.click('#save');
    await until('#err-block_time has a message', async () => ((await page.locator('#err-block_time').textContent()) || '').trim() !== '');
    if ((await page.getAttribute('#block_time', 'aria-invalid')) !== 'true') throw new Error('#block_time is not aria-invalid');
    note(`error shown: ${(await page.locator('#err-block_time').textContent()).trim()}`);
    const c = ctl('status').config;
    if (c.block_time_s !== 2700) throw new Error(`block_time_s is ${c.block_time_s} after the refused save`);
    if (ini('general', 'block_time') !== '45m') throw new Error(`the file says block_time = ${ini('general', 'block_time')}`);
  });
  await shot('general');
  await step('General: "Discard changes" reloads the saved value', async () => {
    await page.click('#general-reset');
    await until('block time back to 45m', async () => (await page.inputValue('#block_time')) === '45m');
    if (((await page.locator('#err-block_time').textContent()) || '').trim()) throw new Error('the error is still shown');
  });

  // ---- whitelist ----
  await step(`Whitelist: add ${WL} with a comment; ctl whitelist list has it`, async () => {
    await tab('lists');
    await page.fill('#whitelist-address', WL);
    await page.fill('#whitelist-comment', 'branch office');
    await page.click('#whitelist-add');
    await until('the table lists it', async () => (await rowsText('#whitelist-table')).some((t) => t.includes(WL) && t.includes('branch office')));
    await until('ctl whitelist list has it', () =>
      ctl('whitelist', 'list').some((e) => e.ip.replace(/\/32$/, '') === WL && e.comment === 'branch office'), 3000);
  });
  await step('Whitelist: a bad address shows an error next to the field', async () => {
    await page.fill('#whitelist-address', '203.0.113.999');
    await page.click('#whitelist-add');
    await until('#err-whitelist-address has a message', async () =>
      ((await page.locator('#err-whitelist-address').textContent()) || '').trim() !== '');
    await page.fill('#whitelist-address', '');
  });
  await shot('lists');

  // ---- recipients ----
  await step(`Recipients: add ${RCPT}; the config file's [notify] recipients has it`, async () => {
    await tab('recipients');
    await until('the list is loaded', async () => (await page.locator('#recipients-list li').count()) > 0);
    await page.fill('#recipient-address', RCPT);
    await page.click('#recipient-add');
    await until('the page lists it', async () => (await page.locator('#recipients-list').textContent()).includes(RCPT));
    await until('the config file has it', () => (ini('notify', 'recipients') ?? '').split(/\s*,\s*/).includes(RCPT), 3000);
  });
  await shot('recipients');

  // ---- unblock the attacker ----
  await step(`Blocked addresses: unblock ${ATTACKER} from the page; ctl list no longer has it`, async () => {
    await tab('blocks');
    await until(`a row for ${ATTACKER}`, async () => (await rowsText('#blocks-table')).some((t) => t.includes(ATTACKER)));
    await shot('blocks');
    await page.getByRole('button', { name: `Unblock ${ATTACKER}` }).click();
    await until('the row is gone', async () => !(await rowsText('#blocks-table')).some((t) => t.includes(ATTACKER)));
    await until('ctl list has no block of it', () => !ctl('list').some((b) => b.ip === ATTACKER), 3000);
  });

  // ---- attack log ----
  await step(`Attack log: shows the scanner block of ${ATTACKER}`, async () => {
    await tab('log');
    await until('a block row', async () =>
      (await rowsText('#log-table')).some((t) => t.includes(ATTACKER) && t.includes('scanner') && /blocked/.test(t)));
  });
  await step('Attack log: the detector filter shows only that detector', async () => {
    await page.selectOption('#log-detector', 'scanner');
    await page.click('#log-apply');
    await until('only scanner rows', async () => {
      const rows = await rowsText('#log-table');
      return rows.length > 0 && rows.every((t) => t.includes('scanner'));
    });
    await page.selectOption('#log-detector', '');
    await page.click('#log-apply');
    await until('all rows again', async () => (await rowsText('#log-table')).some((t) => !t.includes('scanner')));
  });
  await shot('log');

  // ---- keyboard, labels, phone width (the usability points) ----
  const TABS = ['dashboard', 'general', 'lists', 'recipients', 'blocks', 'log'];
  await step('keyboard: arrow keys move between the tabs (focus and panel follow)', async () => {
    await page.focus('#tab-dashboard');
    await page.keyboard.press('Enter');
    for (const name of TABS.slice(1)) {
      await page.keyboard.press('ArrowRight');
      await page.locator(`#panel-${name}`).waitFor({ state: 'visible' });
      const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
      if (focused !== `tab-${name}`) throw new Error(`after ArrowRight the focus is on "${focused}", want tab-${name}`);
    }
  });
  await step('labels: every visible input, select and textarea has a label or an aria-label', async () => {
    for (const name of TABS) {
      await tab(name);
      const unlabelled = await page.evaluate((panel) => {
        const els = document.querySelectorAll(`#panel-${panel} input, #panel-${panel} select, #panel-${panel} textarea`);
        return [...els].filter((e) => e.offsetParent !== null && e.type !== 'hidden' &&
          !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
          .map((e) => e.id || e.name || e.outerHTML.slice(0, 60));
      }, name);
      if (unlabelled.length) throw new Error(`${name}: no label for ${unlabelled.join(', ')}`);
    }
  });
  await step('phone width (390 px): no tab scrolls sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const name of TABS) {
      await tab(name);
      const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (over > 0) throw new Error(`${name}: the page is ${over} px wider than the screen`);
    }
    await shot('phone-log');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  // ---- log out ----
  await step('log out: the login form again, and a reload stays logged out', async () => {
    await page.click('#logout');
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.locator('#login').waitFor({ state: 'visible' });
  });

  if (jsErrors.length) notok('no JavaScript errors or CSP violations on the page', jsErrors.join('\n'));
  else ok('no JavaScript errors or CSP violations on the page');
}

try {
  await main();
  console.log('# done');
} catch (e) {
  notok('browser session', e && e.stack ? e.stack : String(e));
}
process.exit(failed ? 1 : 0);
