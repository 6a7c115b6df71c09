import { runSuite } from './src/compare/suite.js';
import { SUITES } from './src/compare/grid.js';
const r = await runSuite({ suite: SUITES.quick, config: 'tinystories-tiny', steps: 20, jobs: 2, outDir: '/tmp/cmp1', sets: [], backend: null,
  trainer: { command: process.execPath, args: ['test/compare/fake-train.mjs'] } });
console.log(r.state.best, r.summaries.map(s => `${s.spec.id} ${s.status} ${s.finalValLoss.toFixed(3)} ${s.finalLr.map(x=>x.toExponential(2))}`).join('\n'));
