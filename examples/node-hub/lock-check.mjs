// Compares the committed package-lock.json with the one `npm install` just
// wrote, on what this example runs with: every package that is not tied to a
// platform, and every platform-specific package for the platform it runs on,
// must have the same version and integrity hash in both. Entries for other
// platforms (another os, cpu or libc) are reported and ignored: the registry
// as reached from here lists them one day and not the next, and they are
// never installed on this machine.
//
//   node lock-check.mjs COMMITTED_LOCK NEW_LOCK
//
// Exits 0 when they agree on what runs here, 1 (listing the differences) when
// they do not, 2 on a usage error.
import { readFileSync } from 'node:fs';

const [committedPath, installedPath] = process.argv.slice(2);
if (!committedPath || !installedPath) {
  console.error('usage: node lock-check.mjs COMMITTED_LOCK NEW_LOCK');
  process.exit(2);
}

const packages = (path) => JSON.parse(readFileSync(path, 'utf8')).packages ?? {};

// glibc or musl, as npm itself tells them apart.
const libc = process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl';

// npm's os/cpu/libc fields: a list of allowed values, where `!x` excludes x.
function allows(list, value) {
  if (!Array.isArray(list) || list.length === 0) return true;
  const excluded = list.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
  const allowed = list.filter((v) => !v.startsWith('!'));
  if (excluded.includes(value)) return false;
  return allowed.length === 0 || allowed.includes(value);
}

/** True when the entry would be installed here: no platform fields, or fields matching this machine. */
const runsHere = (entry) =>
  allows(entry.os, process.platform) && allows(entry.cpu, process.arch) && allows(entry.libc, libc);

const isPlatformSpecific = (entry) => Boolean(entry && (entry.os || entry.cpu || entry.libc));

/**
 * The entries npm would install here: everything reachable from the root
 * package through its dependencies (resolved the way Node resolves them,
 * from the nearest node_modules up), not following into packages for other
 * platforms. Returns [reached paths, skipped other-platform paths].
 */
function reachable(lock) {
  const reached = new Set(['']);
  const skipped = new Set();
  const queue = [''];
  const resolve = (from, name) => {
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (lock[candidate]) return candidate;
      if (!dir) return undefined;
    }
  };
  while (queue.length > 0) {
    const path = queue.shift();
    const entry = lock[path] ?? {};
    const names = Object.keys({
      ...entry.dependencies,
      ...entry.optionalDependencies,
      ...entry.peerDependencies,
      ...(path === '' ? entry.devDependencies : {}),
    });
    for (const name of names) {
      const found = resolve(path, name);
      if (!found || reached.has(found)) continue;
      if (isPlatformSpecific(lock[found]) && !runsHere(lock[found])) {
        skipped.add(found);
        continue;
      }
      reached.add(found);
      queue.push(found);
    }
  }
  return [reached, skipped];
}

const committed = packages(committedPath);
const installed = packages(installedPath);
const [runA] = reachable(committed);
const [runB] = reachable(installed);
const problems = [];
const runsHereCount = runA.size;

for (const name of new Set([...runA, ...runB])) {
  const a = runA.has(name) ? committed[name] : undefined;
  const b = runB.has(name) ? installed[name] : undefined;
  if (!a) problems.push(`${name || '(root)'}: not in the committed lock (${b.version ?? ''})`);
  else if (!b) problems.push(`${name || '(root)'}: in the committed lock but no longer installed`);
  else {
    for (const field of ['version', 'integrity', 'dependencies', 'devDependencies', 'optionalDependencies']) {
      if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) {
        problems.push(`${name || '(root)'}: ${field} ${JSON.stringify(a[field])} -> ${JSON.stringify(b[field])}`);
      }
    }
  }
}
// Everything else that changed only describes other platforms.
const ignored = [...new Set([...Object.keys(committed), ...Object.keys(installed)])].filter(
  (name) => !runA.has(name) && !runB.has(name) && JSON.stringify(committed[name]) !== JSON.stringify(installed[name]),
);

if (ignored.length > 0) {
  const shown = ignored.slice(0, 3).join(', ') + (ignored.length > 3 ? ', ...' : '');
  console.log(`lock-check: ${ignored.length} entries for other platforms differ and are ignored (${shown})`);
}
if (problems.length > 0) {
  console.error('lock-check: package-lock.json does not match what npm installed here:');
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`lock-check: the ${runsHereCount} locked entries this platform installs match`);
