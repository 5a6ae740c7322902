// The share link as a QR code, drawn in the page as SVG: the link (and its key) never
// leaves the browser to be drawn. Encoding is vendor/uqr.js (MIT); this module only
// draws its modules. Error correction M (15% of the code may be damaged or covered),
// the 4-module quiet zone the standard asks for, dark on light whatever the theme
// (scanners expect it; the colours are in app.css, as the CSP forbids inline styles).

import { encode } from './vendor/uqr.js';

const SVG = 'http://www.w3.org/2000/svg';
const QUIET_ZONE = 4;
/** About how wide the code is drawn, in CSS pixels. */
const TARGET_PIXELS = 288;

/**
 * Replaces the contents of `container` with the QR code of `text`. Returns the `<svg>`;
 * its `<title>` (the accessible name) is left for the caller to fill.
 */
export function drawQr(container, text) {
  const { size, data } = encode(text, { ecc: 'M', border: QUIET_ZONE });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  // A whole number of screen pixels per module keeps the edges crisp (attributes, not
  // styles: the CSP allows no inline style); CSS shrinks it on narrow screens.
  const pixels = size * Math.max(2, Math.floor(TARGET_PIXELS / size));
  svg.setAttribute('width', String(pixels));
  svg.setAttribute('height', String(pixels));
  svg.setAttribute('role', 'img');
  svg.setAttribute('class', 'qr');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const title = document.createElementNS(SVG, 'title');
  const light = document.createElementNS(SVG, 'rect');
  light.setAttribute('class', 'qr-light');
  light.setAttribute('width', String(size));
  light.setAttribute('height', String(size));
  const dark = document.createElementNS(SVG, 'path');
  dark.setAttribute('class', 'qr-dark');
  dark.setAttribute('d', darkPath(data));
  svg.append(title, light, dark);
  container.replaceChildren(svg);
  return svg;
}

/** One path of the dark modules, a rectangle per horizontal run. */
function darkPath(rows) {
  const parts = [];
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x += 1) {
      if (!row[x]) continue;
      let run = 1;
      while (row[x + run]) run += 1;
      parts.push(`M${x} ${y}h${run}v1h-${run}z`);
      x += run - 1;
    }
  });
  return parts.join('');
}
