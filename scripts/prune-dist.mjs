// Removes compiled files in dist/ whose TypeScript source no longer exists (a moved or deleted file), so that mocha
// never runs a stale spec and nothing imports a stale module. tsc's incremental build does not delete them itself.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else {
      const m = /^(.*)\.(js|js\.map|d\.ts)$/.exec(relative(dist, path));
      if (m && !existsSync(join(root, `${m[1]}.ts`))) rmSync(path);
    }
  }
}

if (existsSync(dist)) walk(dist);
