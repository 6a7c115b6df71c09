import { Resvg } from '@resvg/resvg-js';
import { readFileSync } from 'node:fs';
const svg = readFileSync('/tmp/cmp1/loss-vs-tokens.svg','utf8');
let t=Date.now(); new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng(); console.log('png', Date.now()-t);
t=Date.now(); new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: false, fontFiles: ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf','/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'], defaultFontFamily: 'DejaVu Sans' } }).render().asPng(); console.log('png2', Date.now()-t);
t=Date.now(); const vega = await import('vega'); await import('vega-lite'); console.log('import', Date.now()-t);
