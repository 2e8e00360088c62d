// Loads the OpenAPI docs page in headless Chromium and checks it (run by .ci/docs_check.py).
// Usage: node check.mjs <docs url> <openapi.json url> <screenshot path>
// The Scalar viewer is served from this folder's pinned npm copy instead of the CDN (reproducible,
// and works offline); other CDN assets (Litestar's stylesheet and favicon) are fetched when the
// network allows, else answered empty. Exits non-zero on a console error, a page error, or a route
// of the document that the page does not list.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [docsUrl, schemaUrl, screenshot] = process.argv.slice(2);
const scalar = readFileSync(
  new URL("./node_modules/@scalar/api-reference/dist/browser/standalone.js", import.meta.url),
);
const problems = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console error: ${message.text()}`);
});
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
await page.route("https://cdn.jsdelivr.net/**", async (route) => {
  const url = route.request().url();
  if (url.includes("/npm/@scalar/api-reference")) {
    return route.fulfill({ body: scalar, contentType: "application/javascript" });
  }
  try {
    return await route.fulfill({ response: await route.fetch({ timeout: 5000 }) });
  } catch {
    const type = url.endsWith(".css") ? "text/css" : "image/png";
    return route.fulfill({ body: "", contentType: type });
  }
});
await page.route(/fonts\.scalar\.com/, (route) => route.fulfill({ body: "", contentType: "text/css" }));

const document = await (await fetch(schemaUrl)).json();
await page.goto(docsUrl, { waitUntil: "networkidle" });
await page.waitForSelector("text=" + document.info.title, { timeout: 20000 });
await page.waitForLoadState("networkidle");
await page.screenshot({ path: screenshot, fullPage: false });

// Every operation appears in the sidebar, by its summary, once every tag group is opened.
for (let round = 0; round < 5; round++) {
  const closed = await page.locator('[aria-expanded="false"]').all();
  if (!closed.length) break;
  for (const toggle of closed) await toggle.click({ timeout: 2000 }).catch(() => {});
}
const text = await page.evaluate(() => document.body.innerText);
const missing = [];
for (const [path, item] of Object.entries(document.paths)) {
  for (const [method, operation] of Object.entries(item)) {
    if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
    const label = operation.summary || path;
    if (!text.includes(label)) missing.push(`${method.toUpperCase()} ${path} (${label})`);
  }
}
if (missing.length) problems.push(`not listed: ${missing.join(", ")}`);
await browser.close();

const count = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
console.log(`docs page: ${count} operations, screenshot ${screenshot}`);
for (const problem of problems) console.log(`  ${problem}`);
process.exit(problems.length ? 1 : 0);
