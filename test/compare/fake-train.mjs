// A stand-in for train.ts in compare tests: same CLI and run-folder layout (config.json, metrics.jsonl,
// checkpoint/state.json), with a deterministic synthetic loss whose minimum sits at lr 1e-3 (AdamW),
// 3e-4 (Lion). Env FAKE_TRAIN_STOP=<id>:<step> kills that run (SIGKILL) after checkpointing <step>;
// FAKE_TRAIN_FAIL=<id> makes that run exit 1 at its second step, like a diverged run. Tuning-free presets
// learn their step size (it climbs to twice the best lr).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const argv = process.argv.slice(2);
const sets = {};
let config = null,
  optim = null,
  out = null,
  resume = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--config') config = argv[++i];
  else if (a === '--optim') optim = argv[++i];
  else if (a === '--out') out = argv[++i];
  else if (a === '--resume') resume = true;
  else if (a === '--backend') i++;
  else if (a === '--set') {
    const [k, v] = argv[++i].split('=');
    sets[k] = Number.isNaN(Number(v)) ? v : Number(v);
  } else throw new Error(`fake-train: unknown argument ${a}`);
}
if (!config || !optim || !out) throw new Error('fake-train: --config, --optim and --out are required');
const id = basename(out);
appendFileSync(join(dirname(out), '..', 'fake-calls.log'), `${id} ${resume ? 'resume' : 'fresh'}\n`);

const maxSteps = sets['train.maxSteps'];
const lr = sets['optimizer.lr'];
const isMeta = optim.startsWith('mo-');
// tuning-free presets (issue 15): optimizer.lr is a multiplier; the learned step size d·lr climbs to 2x the best lr
const tuningFree = ['schedulefree-adamw', 'prodigy', 'dog', 'dadapt-adam', 'mechanic-adamw'].includes(optim);
const lion = optim.startsWith('lion') || optim.startsWith('mo-lion');
const best = lion ? 3e-4 : 1e-3;
const blocks = isMeta
  ? sets['optimizer.metaOptimize.blocks'] === 'layerwise'
    ? ['wte.weight', 'h.0.attn.qkv.weight', 'lm_head']
    : ['all']
  : [];
const metaLr = sets['optimizer.metaOptimize.meta.lr'] ?? 1e-3;
const tokensPerStep = 512;
const evalEvery = Math.max(1, Math.floor(maxSteps / 4));
const ckptPath = join(out, 'checkpoint', 'state.json');
/** A checkpoint as train.ts leaves it: state.json and the two weight files (empty here). */
function checkpoint(step) {
  for (const f of ['model.safetensors', 'optimizer.safetensors']) writeFileSync(join(out, 'checkpoint', f), '');
  writeFileSync(ckptPath, JSON.stringify({ step }));
}

if (!resume && existsSync(out)) {
  console.error(`fake-train: ${out} exists; pass --resume`);
  process.exit(2);
}
let start = 0;
if (resume) start = JSON.parse(readFileSync(ckptPath, 'utf8')).step;
mkdirSync(join(out, 'checkpoint'), { recursive: true });
writeFileSync(
  join(out, 'config.json'),
  JSON.stringify({
    model: { nLayer: 1 },
    data: { switchEvery: sets['data.switchEvery'] ?? null, switchMode: 'permute' },
    train: { maxSteps, seed: sets['train.seed'] ?? 1, evalSeed: sets['train.evalSeed'] ?? null },
    optimizer: { lr, metaOptimize: isMeta ? { blocks: blocks.length > 1 ? 'layerwise' : 'scalar' } : null },
    run: { paramCount: 1000, blockNames: blocks, backend: 'fake' },
  }),
);

/** Step size at step t: MetaOptimize climbs from alpha0 towards the best lr (block b a bit slower). */
function alpha(t, b) {
  if (tuningFree) return Math.min(2 * best, 1e-6 * Math.exp(t));
  if (!isMeta) {
    if (optim !== 'adamw-cosine') return lr;
    const w = sets['optimizer.schedule.warmupSteps'];
    return t < w ? (lr * (t + 1)) / w : lr * (0.1 + 0.45 * (1 + Math.cos((Math.PI * (t - w)) / (maxSteps - w))));
  }
  return Math.min(best * (1 + 0.3 * b), lr * Math.exp(metaLr * t * (1 - 0.1 * b)));
}
// train.seed shifts the loss by 0.01 per seed above 1 (seed 1 = the config's seed), so seed statistics are exact
const seedShift = 0.01 * ((sets['train.seed'] ?? 1) - 1);
function lossAt(t, a) {
  if (a >= 0.05) return NaN; // diverges
  return 2 + seedShift + 0.3 * Math.abs(Math.log10(a / best)) + 3 * Math.exp(-t / (maxSteps / 5));
}

const stopAt = process.env.FAKE_TRAIN_STOP?.split(':');
for (let step = start + 1; step <= maxSteps; step++) {
  const lrs = isMeta ? blocks.map((_, b) => alpha(step, b)) : [alpha(step, 0)];
  const loss = lossAt(step, lrs[0]);
  const row = {
    step,
    loss,
    lr: isMeta ? lrs : lrs[0],
    ...(tuningFree ? { learned: { d: lrs[0] / lr } } : {}),
    tokensPerSec: 1000,
    elapsedSec: step * 0.05,
    tokens: step * tokensPerStep,
  };
  if (step % evalEvery === 0 || step === maxSteps) Object.assign(row, { valLoss: loss + 0.05, trainLoss: loss });
  appendFileSync(join(out, 'metrics.jsonl'), JSON.stringify(row) + '\n');
  if (!Number.isFinite(loss)) {
    console.error('TrainingError: non-finite loss');
    process.exit(1);
  }
  if (process.env.FAKE_TRAIN_FAIL === id && step === 2) {
    console.error('TrainingError: non-finite loss');
    process.exit(1);
  }
  if (stopAt && stopAt[0] === id && Number(stopAt[1]) === step) {
    checkpoint(step);
    process.kill(process.pid, 'SIGKILL');
  }
}
checkpoint(maxSteps);
