// No import cycles (STYLE 3): parses the relative imports of src/**/*.ts and the entry scripts and fails on a cycle
// between files or between folders of src (backend, kernels, model, ...; kernels/<op> counts as kernels).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY_SCRIPTS = readdirSync(ROOT).filter((f) => f.endsWith('.ts') && !f.endsWith('.config.ts'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * Relative imports, re-exports, side-effect and dynamic imports of a file (`import type` included: a type cycle is
 * still a cycle of concerns).
 */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/gms),
    ...text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ];
  return specifiers.map((m) => resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
}

/** The graph's edges by relative path. */
function fileGraph(): Map<string, string[]> {
  const files = [...sourceFiles(join(ROOT, 'src')), ...ENTRY_SCRIPTS.map((f) => join(ROOT, f))];
  return new Map(files.map((f) => [relative(ROOT, f), importsOf(f).map((i) => relative(ROOT, i))]));
}

/** src/<folder>/... -> <folder>; entry scripts are their own node. */
const folderOf = (path: string): string => (path.startsWith('src/') ? path.split('/')[1] : path);

function folderGraph(files: Map<string, string[]>): Map<string, string[]> {
  const graph = new Map<string, Set<string>>();
  for (const [from, tos] of files) {
    const edges = graph.get(folderOf(from)) ?? new Set<string>();
    for (const to of tos) if (folderOf(to) !== folderOf(from)) edges.add(folderOf(to));
    graph.set(folderOf(from), edges);
  }
  return new Map([...graph].map(([k, v]) => [k, [...v]]));
}

/** Every cycle found by depth-first search, each as the path that closes it (a -> b -> a). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('import graph', () => {
  const files = fileGraph();

  it('finds a planted cycle (the check can fail)', () => {
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('reads the imports of src and the entry scripts', () => {
    expect(files.get('train.ts')).toBeDefined();
    expect(files.get('src/model/gpt.ts')?.length).toBeGreaterThan(0);
  });

  it('has no cycle between files', () => {
    expect(findCycles(files).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('backend code imports no kernels (STYLE 14: kernels are registered after the backend is initialised)', () => {
    const fromBackend = [...files]
      .filter(([from]) => from.startsWith('src/backend/'))
      .flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`));
    expect(fromBackend.filter((edge) => edge.includes('-> src/kernels/'))).toEqual([]);
  });

  it('has no cycle between folders of src', () => {
    expect(findCycles(folderGraph(files)).map((c) => c.join(' -> '))).toEqual([]);
  });
});
