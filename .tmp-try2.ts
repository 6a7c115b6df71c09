import { readSuiteState, summariseRun } from './src/compare/runs.js';
import { writePlots } from './src/compare/plot.js';
import { writeReport } from './src/compare/report.js';
import { join } from 'node:path';
const out = '/tmp/cmp1';
const st = readSuiteState(out)!;
const sums = st.specs.map(s => summariseRun(join(out,'runs',s.id), s, st.steps, st.records[s.id]));
const plots = await writePlots(out, sums);
writeReport(out, st, sums, plots);
