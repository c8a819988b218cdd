// Puppeteer must never try to download its own browser: our machines reach only the npm registry and Debian's
// packages. Tests drive Debian's Chromium (/usr/bin/chromium) instead.
module.exports = { skipDownload: true };
