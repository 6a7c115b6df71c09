// A loopback (127.0.0.1) imitation of the parts of the Hugging Face Hub API that @huggingface/hub and our
// downloader call: the tree listing with Link paging, `resolve` downloads with Range (206 + Content-Range
// + ETag), 404 + X-Error-Code, and a switch that cuts a download body mid-way. Test helper, not a test.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockFile {
  path: string;
  data: Uint8Array;
}

export interface MockRequest {
  method: string;
  url: string;
  range?: string;
}

export interface HubMock {
  url: string;
  requests: MockRequest[];
  /** Cut the next `count` full-body downloads of `path` after `bytes` bytes (the socket is destroyed). */
  cutDownload(path: string, bytes: number, count?: number): void;
  /** Serve `data` instead of the real bytes of `path` (listing unchanged: a corrupted transfer). */
  corrupt(path: string, data: Uint8Array): void;
  close(): Promise<void>;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Starts the mock serving `files` as dataset `repo` at revision `revision`; `pageSize` entries per listing page. */
export async function startHubMock(repo: string, files: MockFile[], opts: { revision?: string; pageSize?: number } = {}): Promise<HubMock> {
  const revision = opts.revision ?? 'main';
  const pageSize = opts.pageSize ?? 2;
  const byPath = new Map(files.map((f) => [f.path, f]));
  const cuts = new Map<string, { bytes: number; count: number }>();
  const corrupted = new Map<string, Uint8Array>();
  const requests: MockRequest[] = [];
  const dirs = [...new Set(files.flatMap((f) => f.path.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'))))];
  const entries = [
    ...dirs.map((path) => ({ type: 'directory', oid: sha256(Buffer.from(path)).slice(0, 40), size: 0, path })),
    ...files.map((f) => ({
      type: 'file', oid: sha256(Buffer.from(`blob ${f.path}`)).slice(0, 40), size: f.data.length, path: f.path,
      lfs: { oid: sha256(f.data), size: f.data.length, pointerSize: 134 },
    })),
  ].sort((a, b) => (a.path < b.path ? -1 : 1));

  let base = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '', range: req.headers.range });
    const url = new URL(req.url ?? '/', base);
    const tree = `/api/datasets/${repo}/tree/${revision}`;
    const resolve = `/datasets/${repo}/resolve/${revision}/`;
    if (url.pathname === tree || url.pathname.startsWith(`${tree}/`)) {
      const prefix = decodeURIComponent(url.pathname.slice(tree.length + 1));
      const recursive = url.searchParams.get('recursive') === 'true';
      const matching = entries.filter((e) => {
        const inside = prefix ? e.path.startsWith(`${prefix}/`) : true;
        const rest = prefix ? e.path.slice(prefix.length + 1) : e.path;
        return inside && (recursive || !rest.includes('/'));
      });
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = matching.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (cursor + pageSize < matching.length) {
        const next = new URL(url.href);
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.Link = `<${next.href}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify(page));
      return;
    }
    if (url.pathname.startsWith(resolve)) {
      const path = decodeURIComponent(url.pathname.slice(resolve.length));
      const file = byPath.get(path);
      if (!file) {
        res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: `Entry not found: ${path}` }));
        return;
      }
      serveFile(req, res, path, corrupted.get(path) ?? file.data, `"${sha256(file.data)}"`, cuts);
      return;
    }
    res.writeHead(404, { 'X-Error-Code': 'RepoNotFound', 'Content-Type': 'application/json' })
      .end(JSON.stringify({ error: 'Repository not found' }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    cutDownload: (path, bytes, count = 1) => cuts.set(path, { bytes, count }),
    corrupt: (path, data) => corrupted.set(path, data),
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

function serveFile(req: IncomingMessage, res: ServerResponse, path: string, data: Uint8Array, etag: string,
  cuts: Map<string, { bytes: number; count: number }>): void {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
  if (range && start >= data.length) {
    res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
    return;
  }
  const body = data.subarray(start, end + 1);
  const headers: Record<string, string | number> = {
    ETag: etag, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', 'Content-Length': body.length,
  };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${data.length}`;
  res.writeHead(range ? 206 : 200, headers);
  const cut = cuts.get(path);
  if (cut && cut.count > 0 && body.length > 1 && cut.bytes - start > 0 && cut.bytes - start < body.length) {
    cut.count--;
    // Send part of the body, then drop the connection: the client sees a body shorter than Content-Length.
    res.write(body.subarray(0, cut.bytes - start), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  res.end(body);
}
