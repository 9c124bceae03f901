// Whether a key file is exposed: readable by group or others, or in a directory others can write (where the key
// can be swapped). Returns a sentence for the operator; the caller warns, or refuses under --strict-key-permissions.
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const who = (mode: number, group: number, other: number) =>
  [mode & group ? 'its group' : '', mode & other ? 'other users' : ''].filter(Boolean).join(' and ');
const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

export async function keyFilePermissionProblem(path: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined;
  const problems: string[] = [];
  const file = await stat(path);
  if (file.mode & 0o044)
    problems.push(`key file ${path} is readable by ${who(file.mode, 0o040, 0o004)} (mode ${octal(file.mode)}; chmod 600 ${path})`);
  const dir = dirname(resolve(path));
  const d = await stat(dir);
  if (d.mode & 0o022 && !(d.mode & 0o1000))
    problems.push(`its directory ${dir} is writable by ${who(d.mode, 0o020, 0o002)} (mode ${octal(d.mode)}; chmod 700 ${dir})`);
  return problems.length ? problems.join('; ') : undefined;
}
