// check.mjs - quire's theme in Debian's headless Chromium: DOM checks,
// axe-core, screenshots
//
//   node tests/browser/check.mjs BASE_URL
//
// BASE_URL is a running quire behind its web server serving the sample
// site (tests/integration/test_browser.sh starts one). Environment:
//   QUIRE_CHROMIUM     the browser (default /usr/bin/chromium)
//   QUIRE_SCREENSHOTS  a folder for the PNGs (default: none written)
//   QUIRE_EXPECT_LANG  the <html lang> the site's configuration sets
//   QUIRE_BROWSER_PAGES  PATH,PATH,... to check instead of the default set
//
// Each page is loaded at phone (375 px) and desktop (1280 px) width, and
// at desktop width in the dark scheme, and checked: no id given twice,
// every <img> loaded (complete, naturalWidth > 0), no horizontal
// overflow of the page at 375 px (a table or code block may scroll in
// its own box), each table and code block in such a box that the
// keyboard reaches (tabindex="0", role="region", aria-label; on the
// Markdown tour at 375 px one of them does scroll, so axe's
// scrollable-region-focusable rule has one to judge), <html lang> as
// configured, and axe-core with no violation of
// impact serious or critical (each printed with its nodes). The header's
// search form is filled and submitted once per width. Prints "ok" and
// "FAIL" lines like the shell tests; exits 1 when any check failed (or
// the npm packages are missing), 77 when the browser cannot start.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
let puppeteer;
let axeSource;
try {
	puppeteer = require('puppeteer-core');
	axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch (e) {
	console.log(`FAIL: the npm packages are missing (${e.message.split('\n')[0]}); ` +
		'run deploy/install-deps --tests or npm ci in tests/browser');
	process.exit(1);
}

const base = (process.argv[2] || '').replace(/\/$/, '');
if (!base) {
	console.error('usage: node check.mjs BASE_URL');
	process.exit(2);
}
const chromium = process.env.QUIRE_CHROMIUM || '/usr/bin/chromium';
const shots = process.env.QUIRE_SCREENSHOTS || '';
const wantLang = process.env.QUIRE_EXPECT_LANG || '';
const searchWord = process.env.QUIRE_SEARCH_WORD || 'caching';

// The pages a reader meets: a post with an image (a bundle), one with
// highlighted code, one with tables, task lists and footnotes, search results, a date archive, an author page, the
// 404 — each with the status it must answer and what must be in it.
const defaultPages = [
	['home', '/', 200, 'main article a[href^="/posts/"]'],
	['bundle-post', '/posts/images-and-files', 200, 'main .post-body img'],
	['code-post', '/posts/highlighted-code', 200, 'main pre code span[class^="hl-"]'],
	['markdown-post', '/posts/markdown-tour', 200, 'main table'],
	['search', `/search?q=${searchWord}`, 200, 'main mark'],
	['archive', '/archives/2024/', 200, 'main a[href^="/posts/"]'],
	['author', '/authors/ada-example/', 200, 'main .author-profile'],
	['not-found', '/no/such/page', 404, 'main a[href="/"]'],
];
const pages = process.env.QUIRE_BROWSER_PAGES
	? process.env.QUIRE_BROWSER_PAGES.split(',').map((p, i) => [`page${i}`, p, 0, ''])
	: defaultPages;
// The theme's dark scheme (prefers-color-scheme) has colours of its own:
// axe's contrast rule checks them at desktop width.
const widths = [['phone', 375, 740, 'light'], ['desktop', 1280, 900, 'light'],
	['dark', 1280, 900, 'dark']];

let passed = 0;
let failed = 0;
function ok(msg) { passed++; console.log(`ok    ${msg}`); }
function fail(msg, detail) {
	failed++;
	console.log(`FAIL  ${msg}`);
	if (detail) console.log(detail.replace(/^/gm, '      '));
}
function check(cond, msg, detail) { if (cond) ok(msg); else fail(msg, detail); }

if (shots) mkdirSync(shots, { recursive: true });

let browser;
try {
	browser = await puppeteer.launch({
		executablePath: chromium,
		headless: true,
		// --no-sandbox: a test user in a container has no user namespaces;
		// the pages are our own, from loopback.
		args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
			'--no-first-run', '--disable-extensions'],
		timeout: 30000,
	});
} catch (e) {
	console.log(`SKIP: ${chromium} does not start: ${e.message.split('\n')[0]}`);
	process.exit(77);
}

// Runs in the page: the DOM facts the checks need. SCROLL_BOX is the
// box markdown.c puts around each table and code block.
function domFacts() {
	const SCROLL_BOX = '.scroll[tabindex="0"][role="region"][aria-label]';
	const imgs = [...document.images].map((i) => ({
		src: i.currentSrc || i.src, complete: i.complete, w: i.naturalWidth,
	}));
	const se = document.scrollingElement;
	// What sticks out past the viewport, for the message.
	const wide = [];
	for (const el of document.body.querySelectorAll('*')) {
		const r = el.getBoundingClientRect();
		if (r.right > innerWidth + 1 && !el.closest(SCROLL_BOX)) {
			wide.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} right=${Math.round(r.right)}`);
			if (wide.length >= 5) break;
		}
	}
	// Tables and code blocks outside a box the keyboard can scroll.
	const boxes = [...document.querySelectorAll('main table, main pre')];
	const unboxed = boxes.filter((el) => !el.parentElement.matches(SCROLL_BOX))
		.map((el) => `${el.tagName.toLowerCase()}: ${el.textContent.slice(0, 40)}`);
	const scrolling = [...document.querySelectorAll(SCROLL_BOX)]
		.filter((el) => el.scrollWidth > el.clientWidth + 1).length;
	// Ids given twice: invalid, and a link to one (a summary's footnote
	// on a list) jumps to the first.
	const seen = new Set(), dupIds = new Set();
	for (const el of document.querySelectorAll('[id]')) {
		if (seen.has(el.id)) dupIds.add(el.id);
		seen.add(el.id);
	}
	return {
		ids: seen.size,
		dupIds: [...dupIds],
		lang: document.documentElement.getAttribute('lang'),
		boxes: boxes.length,
		unboxed,
		scrolling,
		imgs,
		scrollWidth: se.scrollWidth,
		innerWidth,
		wide,
		title: document.title,
	};
}

function formatViolations(vs) {
	return vs.map((v) => `${v.impact} ${v.id}: ${v.help}\n` +
		v.nodes.map((n) => `  ${n.target.join(' ')}\n    ${n.failureSummary.replace(/\n/g, '\n    ')}`).join('\n'))
		.join('\n');
}

async function checkPage(page, name, url, status, sel, [wname, width, , scheme]) {
	const label = `${name} ${url} at ${width}px${scheme === 'dark' ? ' (dark)' : ''}`;
	let resp;
	try {
		resp = await page.goto(base + url, { waitUntil: 'load', timeout: 15000 });
	} catch (e) {
		fail(`${label}: loads`, e.message);
		return;
	}
	if (status) check(resp.status() === status, `${label}: status ${status}`, `got ${resp.status()}`);
	const f = await page.evaluate(domFacts);
	if (sel) check(await page.$(sel) !== null, `${label}: has ${sel}`);
	if (wantLang) check(f.lang === wantLang, `${label}: <html lang="${wantLang}">`, `got lang="${f.lang}"`);
	else check(!!f.lang, `${label}: <html lang> set`, 'no lang attribute');
	check(f.unboxed.length === 0,
		`${label}: ${f.boxes} table(s) and code block(s), each in a box the keyboard scrolls`,
		f.unboxed.join('\n'));
	if (name === 'markdown-post' && width < 500) {
		check(f.scrolling > 0, `${label}: the wide table or long line scrolls in its box`,
			'no box wider than the screen: nothing for scrollable-region-focusable to check');
	}
	check(f.dupIds.length === 0, `${label}: ${f.ids} id(s), none repeated`,
		f.dupIds.join(' '));
	const broken = f.imgs.filter((i) => !i.complete || i.w === 0);
	check(broken.length === 0, `${label}: ${f.imgs.length} image(s), none broken`,
		broken.map((i) => i.src).join('\n'));
	if (width < 500) {
		check(f.scrollWidth <= f.innerWidth + 1,
			`${label}: no horizontal overflow (scrollWidth ${f.scrollWidth} <= ${f.innerWidth})`,
			f.wide.join('\n'));
	}
	await page.addScriptTag({ content: axeSource });
	const res = await page.evaluate(async () => {
		const r = await window.axe.run(document, { resultTypes: ['violations'] });
		return r.violations.map((v) => ({
			id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary || '' })),
		}));
	});
	const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	check(bad.length === 0, `${label}: axe-core, no serious or critical violation`,
		formatViolations(bad));
	const minor = res.filter((v) => !bad.includes(v));
	if (minor.length) console.log(`#     ${label}: axe (minor, not failing):\n` +
		formatViolations(minor).replace(/^/gm, '#       '));
	if (shots) {
		const file = path.join(shots, `${name}-${wname}.png`);
		await page.screenshot({ path: file, fullPage: true });
	}
}

// The header's search form, without JavaScript of its own: type, press
// Enter, land on /search?q=WORD with results listed.
async function checkSearchForm(page, [, width, , scheme]) {
	const label = `search form at ${width}px${scheme === 'dark' ? ' (dark)' : ''}`;
	await page.goto(base + '/', { waitUntil: 'load' });
	const box = await page.$('form[role="search"] input[name="q"]');
	if (!box) {
		fail(`${label}: a search box in the header`);
		return;
	}
	await box.type(searchWord);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load', timeout: 15000 }),
		box.press('Enter'),
	]);
	const u = new URL(page.url());
	check(u.pathname === '/search' && u.searchParams.get('q') === searchWord,
		`${label}: submits to /search?q=${searchWord}`, `landed on ${page.url()}`);
	const results = await page.$$eval('main a[href^="/posts/"]', (as) => as.length);
	check(results > 0, `${label}: results listed (${results} link(s) to posts)`);
}

try {
	for (const w of widths) {
		// A fresh context a width: no cached page answers 304.
		const ctx = await browser.createBrowserContext();
		const page = await ctx.newPage();
		await page.setViewport({ width: w[1], height: w[2] });
		await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: w[3] }]);
		for (const [name, url, status, sel] of pages) await checkPage(page, name, url, status, sel, w);
		if (!process.env.QUIRE_BROWSER_PAGES) await checkSearchForm(page, w);
		await ctx.close();
	}
} finally {
	await browser.close();
}
if (shots) console.log(`#     screenshots in ${shots}`);
console.log(`# ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
