// Parses the logs bench/gpu.sh writes ($OUT/gpu.log) into issue 5's comparison: tokens/s per batch for each of
// our configurations (parts, flags, bench-side variants), the peer and PyTorch fp32 from the same log, MetaOptimize's
// overhead over AdamW, and whether each target is met; formatSummary renders it as markdown. CLI:
// bench/gpu-summary.ts. Tested on call 3's real log (docs/results/gpu-speed/call3-final.log).

/** One timed configuration at one batch: median over its runs in the log. */
export interface Row {
  label: string;
  batch: number;
  tokensPerSec: number;
  stepMs: number;
  runs: number;
}

export interface Summary {
  card: string | null;
  rows: Row[];
  /**
   * MetaOptimize vs AdamW per batch of the `mo` part: fastest run of each, and the median of the interleaved
   * pairs (paired in log order: a run missing from the log shifts the later pairs).
   */
  metaOverhead: Array<{ batch: number; fastest: number; medianPair: number; pairs: number }>;
  targets: Array<{ target: string; value: string; met: boolean | null }>;
}

import { defaultFlags } from '../src/flags.js';

/** Flags that do not change which kernels run (data preparation, profiling). */
const NEUTRAL = new Set(['tokenizeWorkers', 'webgpuProfile']);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Our line's label: the part, what it switched (flags off their defaults, bench.ts --variant), and the optimizer when not AdamW. */
function labelOf(part: string, j: Record<string, unknown>): string {
  const defaults = defaultFlags() as Record<string, unknown>;
  const flags = Object.entries((j.flags ?? {}) as Record<string, unknown>)
    .filter(([k, v]) => !NEUTRAL.has(k) && v !== defaults[k])
    .map(([k, v]) => `${k}=${v}`);
  const variants = ((j.variants ?? []) as string[]).map((v) => `--variant ${v}`);
  const what = [...flags, ...variants];
  const opt = j.optimizer && j.optimizer !== 'adamw' ? ` ${j.optimizer}` : '';
  if (part === 'ours') return `nanometa${what.length ? ` (${what.join(', ')})` : ''}${opt}`;
  // An A/B part's runs with nothing switched are its baseline: say so, not the part's name alone.
  return `nanometa [${part}]${what.length ? ` (${what.join(', ')})` : j.flags ? ' (default)' : ''}${opt}`;
}

export function summarizeGpuLog(text: string): Summary {
  let card: string | null = null,
    part = '';
  const runs = new Map<string, { label: string; batch: number; tps: number[]; ms: number[] }>();
  const mo = new Map<number, Array<{ optimizer: string; ms: number }>>();
  const add = (label: string, b: number, tps: number, ms: number) => {
    const key = `${label}\u0000${b}`;
    const r = runs.get(key) ?? { label, batch: b, tps: [], ms: [] };
    r.tps.push(tps);
    r.ms.push(ms);
    runs.set(key, r);
  };
  for (const line of text.split('\n')) {
    const header = /^== (\S+) batch (\d+)/.exec(line);
    if (header) {
      part = header[1];
      continue;
    }
    if (!card && /^[^,]+, [\d.]+, \d+ MiB$/.test(line.trim())) card = line.trim(); // nvidia-smi's name, driver, memory
    if (line.startsWith('{')) {
      let j: Record<string, unknown>;
      try {
        j = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof j.tokensPerSec !== 'number' || typeof j.batch !== 'number' || part === 'profile') continue; // a profiled step is slower
      add(labelOf(part, j), j.batch, j.tokensPerSec, j.medianStepMs as number);
      if (part === 'mo')
        mo.set(j.batch, [...(mo.get(j.batch) ?? []), { optimizer: String(j.optimizer), ms: j.medianStepMs as number }]);
      continue;
    }
    const torch = /^\[torch fp32\].* B=(\d+) median step ([\d.]+) ms, (\d+) tok\/s/.exec(line);
    if (torch) {
      add('PyTorch fp32 eager', Number(torch[1]), Number(torch[3]), Number(torch[2]));
      continue;
    }
    const peer = /^\[nanogpt webgpu\] RESULT (\S+) .* B=(\d+) .*median step ([\d.]+) s .*?, (\d+) tok\/s/.exec(line);
    if (peer) add(`@genai-fi/${peer[1].replace('@', ' ')}`, Number(peer[2]), Number(peer[4]), Number(peer[3]) * 1000);
  }
  const rows = [...runs.values()].map((r) => ({
    label: r.label,
    batch: r.batch,
    tokensPerSec: Math.round(median(r.tps)),
    stepMs: +median(r.ms).toFixed(2),
    runs: r.tps.length,
  }));

  const metaOverhead = [...mo.entries()]
    .map(([b, list]) => {
      const adam = list.filter((x) => x.optimizer === 'adamw').map((x) => x.ms);
      const meta = list.filter((x) => x.optimizer.startsWith('metaoptimize')).map((x) => x.ms);
      const pairs = Math.min(adam.length, meta.length);
      const ratios = Array.from({ length: pairs }, (_, i) => meta[i] / adam[i] - 1);
      return {
        batch: b,
        fastest: Math.min(...meta) / Math.min(...adam) - 1,
        medianPair: pairs ? median(ratios) : NaN,
        pairs,
      };
    })
    .filter((m) => m.pairs > 0);

  const find = (label: (l: string) => boolean, b: number) =>
    rows.find((r) => r.batch === b && label(r.label))?.tokensPerSec;
  const torchAt = (b: number) => find((l) => l.startsWith('PyTorch'), b);
  const peerAt = (b: number) => find((l) => l.startsWith('@genai-fi'), b);
  const ours = [...new Set(rows.filter((r) => r.label === 'nanometa').map((r) => r.label))];
  const targets: Summary['targets'] = [];
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a / b : undefined);
  for (const label of ours) {
    for (const b of [16, 64, 128]) {
      const us = find((l) => l === label, b);
      const p = ratio(us, peerAt(b)),
        t = ratio(us, torchAt(b));
      if (p !== undefined)
        targets.push({ target: `${label} faster than the peer at batch ${b}`, value: `${p.toFixed(2)}×`, met: p > 1 });
      if (t !== undefined) {
        const need = b === 16 ? 0.5 : 1;
        targets.push({
          target: `${label} ≥ ${need}× PyTorch fp32 at batch ${b}`,
          value: `${t.toFixed(2)}×`,
          met: t >= need,
        });
      }
    }
  }
  for (const m of metaOverhead.filter((x) => x.batch === 16)) {
    targets.push({
      target: 'MetaOptimize(AdamW, Lion) within 3% of AdamW at batch 16 (fastest run of each)',
      value: `${(100 * m.fastest).toFixed(1)}%`,
      met: m.fastest <= 0.03,
    });
  }
  return { card, rows, metaOverhead, targets };
}

/** The summary as markdown. */
export function formatSummary(s: Summary): string {
  const batches = [...new Set(s.rows.map((r) => r.batch))].sort((a, b) => a - b);
  const labels = [...new Set(s.rows.map((r) => r.label))];
  const cell = (label: string, b: number) => {
    const r = s.rows.find((x) => x.label === label && x.batch === b);
    return r
      ? `${(r.tokensPerSec / 1000).toFixed(1)}k (${r.stepMs} ms${r.runs > 1 ? `, median of ${r.runs}` : ''})`
      : '';
  };
  const out = [
    `Card: ${s.card ?? 'not in the log'}`,
    '',
    `| tokens/s | ${batches.map((b) => `batch ${b}`).join(' | ')} |`,
    `|---|${batches.map(() => '---:').join('|')}|`,
  ];
  for (const l of labels) out.push(`| ${l} | ${batches.map((b) => cell(l, b)).join(' | ')} |`);
  if (s.metaOverhead.length) {
    out.push('', '| MetaOptimize vs AdamW | fastest of each | median of pairs | pairs |', '|---|---:|---:|---:|');
    for (const m of s.metaOverhead)
      out.push(
        `| batch ${m.batch} | ${(100 * m.fastest).toFixed(1)}% | ${(100 * m.medianPair).toFixed(1)}% | ${m.pairs} |`,
      );
  }
  if (s.targets.length) {
    out.push('', '| target (issue 5) | value | met |', '|---|---:|---|');
    for (const t of s.targets)
      out.push(`| ${t.target} | ${t.value} | ${t.met === null ? '?' : t.met ? 'yes' : 'no'} |`);
  }
  return out.join('\n');
}
